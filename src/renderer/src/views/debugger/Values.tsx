/**
 * The paused frame's scopes (their variables, objects expandable one level at a time) and the
 * expression box, which evaluates on that frame. Everything is read from the inspector on demand:
 * a pause carries only object ids.
 */
import { useEffect, useState } from 'react'
import type { DebugCallFrame, RemoteObject } from '../../../../debug/protocol.ts'
import { toApiError } from '../../transport/index.ts'
import { send } from './store.ts'

interface Property {
  name: string
  value?: RemoteObject
}

/** One line for a value: strings quoted, objects by their class and preview. */
export function describe(v: RemoteObject | undefined): string {
  if (!v) return 'undefined'
  if (v.type === 'string') return JSON.stringify(v.value)
  if (v.unserializableValue) return v.unserializableValue
  if (v.type === 'undefined') return 'undefined'
  if (v.subtype === 'null') return 'null'
  // A function's description is its whole source: its signature says enough.
  if (v.type === 'function') return `ƒ ${(v.description ?? '').split('{')[0]!.replace(/^(async\s+)?function\s*/, '$1').trim()}`
  if (v.description !== undefined) return v.description
  return JSON.stringify(v.value) ?? String(v.value)
}

async function properties(objectId: string): Promise<Property[]> {
  const r = (await send({ method: 'Runtime.getProperties', params: { objectId, ownProperties: true } })) as { result?: Property[] }
  // Accessors and internal slots have no value; __proto__ is noise here.
  return (r.result ?? []).filter((p) => p.value && p.name !== '__proto__')
}

function PropertyList({ objectId, depth }: { objectId: string; depth: number }) {
  const [props, setProps] = useState<Property[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    properties(objectId).then(
      (p) => live && setProps(p),
      (err: unknown) => live && setError(toApiError(err).message),
    )
    return () => {
      live = false
    }
  }, [objectId])
  if (error) return <div className="bad-text small-text">{error}</div>
  if (!props) return <div className="muted small-text">loading…</div>
  if (props.length === 0) return <div className="muted small-text">(empty)</div>
  return (
    <ul className="debug-props">
      {props.map((p) => (
        <PropertyRow key={p.name} p={p} depth={depth} />
      ))}
    </ul>
  )
}

function PropertyRow({ p, depth }: { p: Property; depth: number }) {
  const [open, setOpen] = useState(false)
  const expandable = p.value?.type === 'object' && p.value.objectId && depth < 6
  return (
    <li data-testid="debug-var" data-name={p.name}>
      <button type="button" className="link debug-expander" disabled={!expandable} onClick={() => setOpen(!open)} aria-expanded={expandable ? open : undefined}>
        {expandable ? (open ? '▾' : '▸') : ' '}
      </button>
      <span className="mono debug-name">{p.name}</span>
      <span className="muted">: </span>
      <span className={`mono debug-value type-${p.value?.type ?? 'undefined'}`} data-testid="debug-var-value">
        {describe(p.value)}
      </span>
      {open && p.value?.objectId && <PropertyList objectId={p.value.objectId} depth={depth + 1} />}
    </li>
  )
}

/** Every scope of the frame but the global one (thousands of names no one reads while stepping). */
export function Scopes({ frame }: { frame: DebugCallFrame }) {
  const scopes = frame.scopeChain.filter((s) => s.type !== 'global' && s.objectId)
  return (
    <div className="debug-scopes" data-testid="debug-scopes">
      {scopes.map((s) => (
        <section key={s.objectId} data-testid={`debug-scope-${s.type}`}>
          <h4 className="debug-scope-title">
            {s.type}
            {s.name ? <span className="muted"> {s.name}</span> : null}
          </h4>
          <PropertyList objectId={s.objectId!} depth={0} />
        </section>
      ))}
    </div>
  )
}

interface Evaluation {
  expression: string
  value?: RemoteObject
  error?: string
}

export function ExpressionBox({ frame }: { frame: DebugCallFrame | null }) {
  const [expression, setExpression] = useState('')
  const [results, setResults] = useState<Evaluation[]>([])
  const evaluate = async () => {
    if (!frame || !expression.trim()) return
    const expr = expression
    let out: Evaluation
    try {
      const r = (await send({ method: 'Debugger.evaluateOnCallFrame', params: { callFrameId: frame.callFrameId, expression: expr, generatePreview: false } })) as {
        result: RemoteObject
        exceptionDetails?: { exception?: RemoteObject; text?: string }
      }
      out = r.exceptionDetails ? { expression: expr, error: r.exceptionDetails.exception?.description ?? r.exceptionDetails.text ?? 'threw' } : { expression: expr, value: r.result }
    } catch (err) {
      out = { expression: expr, error: toApiError(err).message }
    }
    setResults((rs) => [out, ...rs].slice(0, 20))
  }
  return (
    <div className="debug-eval">
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          void evaluate()
        }}
      >
        <input
          className="mono"
          value={expression}
          onChange={(e) => setExpression(e.target.value)}
          placeholder={frame ? 'an expression, evaluated in the selected frame' : 'pause first: expressions run in a paused frame'}
          disabled={!frame}
          data-testid="debug-expression"
          aria-label="Expression"
        />
        <button type="submit" className="btn small" disabled={!frame || !expression.trim()} data-testid="debug-evaluate">
          Evaluate
        </button>
      </form>
      <ul className="debug-results">
        {results.map((r, i) => (
          <li key={results.length - i} data-testid="debug-result">
            <span className="mono muted">{r.expression}</span> <span className="muted">→</span>{' '}
            {r.error ? <span className="mono bad-text">{r.error}</span> : <span className="mono">{describe(r.value)}</span>}
          </li>
        ))}
      </ul>
    </div>
  )
}
