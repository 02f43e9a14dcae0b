import { useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { apiInputs, workerDefinitionInput, type ApiParams } from '../../../../api/contract.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { JsonField } from '../../components/JsonField.tsx'
import { useAction } from '../../components/hooks.ts'
import { parseJson } from '../../lib/json.ts'
import { statsQuery, useConnections, useWorkerDefList } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { call } from '../../transport/index.ts'
import { BulkEnqueue } from './BulkEnqueue.tsx'
import { TASK_TYPE_RULE } from '../../../../core/task.ts'
import { noteFor, numberField, schemaIssues } from '../../lib/form-check.ts'

const NO_TYPES: string[] = []

export function EnqueueView() {
  const connectionId = useUi((s) => s.connectionId)
  const conn = useConnections((items) => items.find((c) => c.id === connectionId)).data
  const defs = useWorkerDefList()
  const openTask = useUi((s) => s.openTask)
  // Empty, never a guess: on a shared queue a pre-filled type enqueues work for someone else's drones (issue 16).
  const [type, setType] = useState('')
  // Suggestions: the types this queue already holds, beside the worker definitions' (best effort, read once per visit).
  const queueTypes = useQuery({ ...statsQuery(connectionId ?? '', 0), enabled: !!connectionId, select: (s) => Object.keys(s.types).sort() }).data ?? NO_TYPES
  const hasExamples = defs.some((d) => d.example)
  const [payload, setPayload] = useState('{}')
  const [priority, setPriority] = useState('')
  const [delay, setDelay] = useState('')
  const [maxAttempts, setMaxAttempts] = useState('')
  const [key, setKey] = useState('')
  const [demoCount, setDemoCount] = useState('200')
  const parsed = parseJson(payload, { allowEmpty: true })

  const value = parsed.ok ? parsed.value : undefined
  const params = { connectionId: connectionId ?? '', type, payload: value === undefined ? null : value, options: { priority: numberField(priority), delayMs: numberField(delay), maxAttempts: numberField(maxAttempts), key: key.trim() || undefined } }
  // The call's own schema, and the task-type rule of the worker definition schema (the server checks it with validateNewTask).
  const issues = schemaIssues(apiInputs['tasks.enqueue'], params)
  const bad = {
    type: type && !workerDefinitionInput.shape.type.safeParse(type).success ? `a task type is ${TASK_TYPE_RULE}` : null,
    priority: noteFor(issues, 'options.priority', 'a whole number; higher runs first'),
    delay: noteFor(issues, 'options.delayMs', 'milliseconds, 0 or more'),
    maxAttempts: noteFor(issues, 'options.maxAttempts', '1–1000'),
  }
  // Only the fields with a note block sending; anything else (an over-long key) is named by the server's answer, in its words.
  const invalid = !type || !parsed.ok || Object.values(bad).some(Boolean)
  const demoParams = { connectionId: connectionId ?? '', count: numberField(demoCount) }
  const demoBad = !apiInputs['tasks.demo'].safeParse(demoParams).success

  const send = useAction(async () => call('tasks.enqueue', params as ApiParams<'tasks.enqueue'>))
  const demo = useAction(() => call('tasks.demo', apiInputs['tasks.demo'].parse(demoParams)))

  if (!connectionId) {
    return (
      <EmptyState title="No queue selected" testId="enqueue-no-connection">
        Add a connection on <strong>Connections</strong> (g c) first.
      </EmptyState>
    )
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!invalid) void send.run()
  }
  return (
    <div className="stack narrow-view">
      <div className="view-head">
        <h1>Enqueue</h1>
        <p className="muted">
          Into <strong>{conn?.name ?? connectionId}</strong> <span className="mono" title={conn?.display}>{conn?.target.summary}</span>
        </p>
      </div>
      <form className="panel form" onSubmit={submit} data-testid="enqueue-form">
        <div className="row">
          <Field label="Type" value={type} set={setType} bad={bad.type} testId="enqueue-type" list="enqueue-types" mono />
          <datalist id="enqueue-types" data-testid="enqueue-type-suggestions">
            {suggestions(defs, queueTypes).map((s) => (
              <option key={s.type} value={s.type} label={s.label} />
            ))}
          </datalist>
          <Field label="Priority" value={priority} set={setPriority} bad={bad.priority} testId="enqueue-priority" placeholder="0" />
          <Field label="Delay (ms)" value={delay} set={setDelay} bad={bad.delay} testId="enqueue-delay" placeholder="0" />
          <Field label="Max attempts" value={maxAttempts} set={setMaxAttempts} bad={bad.maxAttempts} testId="enqueue-max-attempts" placeholder="5" />
          <Field label="Key (idempotency)" value={key} set={setKey} testId="enqueue-key" placeholder="none" mono />
        </div>
        <JsonField label="Payload (JSON, at most 1 MiB)" value={payload} onChange={setPayload} testId="enqueue-payload" rows={8} hint="valid JSON (empty: null)" />
        <div className="actions">
          <button type="submit" className="btn primary" disabled={invalid || send.busy} data-testid="enqueue-send">
            {send.busy ? 'Enqueueing…' : 'Enqueue'}
          </button>
          {send.result && (
            <span data-testid="enqueue-result" data-id={send.result.id}>
              enqueued{' '}
              <button type="button" className="link mono" onClick={() => openTask(send.result!.id)} data-testid="enqueue-result-open">
                {send.result.id}
              </button>
            </span>
          )}
        </div>
        <ErrorBox error={send.error} what="Not enqueued" testId="enqueue-error" />
      </form>
      <BulkEnqueue connectionId={connectionId} typesListId="enqueue-types" />
      <div className="panel form" data-testid="demo-form">
        <h2>
          Demo tasks <span className="tag warn">examples</span>
        </h2>
        <p className="muted" data-testid="demo-note">
          Enqueues a mix of the example task types (cpu, io, fanout, flaky: the app's example workers serve them), so the Flow view has something to show.
          {!hasExamples && ' No example workers are loaded here (the console runs them with --examples): on a shared queue these tasks go to whichever drones serve those types.'}
        </p>
        <div className="actions">
          <input className="narrow-input" value={demoCount} onChange={(e) => setDemoCount(e.target.value)} aria-label="How many" data-testid="demo-count" />
          <button type="button" className="btn" disabled={demo.busy || demoBad} onClick={() => void demo.run()} data-testid="demo-send">
            {demo.busy ? 'Sending…' : 'Send demo tasks'}
          </button>
          {demo.busy && <span className="spinner" />}
          {demo.result && <span data-testid="demo-result">{demo.result.ids} tasks enqueued</span>}
        </div>
        <ErrorBox error={demo.error} what="Demo tasks not sent" testId="demo-error" />
      </div>
    </div>
  )
}

/** Type suggestions: worker definitions (examples labelled) and the types the queue holds, each once. */
function suggestions(defs: Array<{ type: string; example?: string }>, queueTypes: string[]): Array<{ type: string; label: string }> {
  const out = new Map<string, string>()
  for (const d of defs) out.set(d.type, d.example ? 'example worker' : 'worker definition')
  for (const t of queueTypes) if (!out.has(t)) out.set(t, 'on this queue')
  return [...out].map(([type, label]) => ({ type, label }))
}

function Field({ label, value, set, bad, testId, placeholder, list, mono }: { label: string; value: string; set: (v: string) => void; bad?: string | null; testId: string; placeholder?: string; list?: string; mono?: boolean }) {
  return (
    <div className="field">
      <label htmlFor={testId}>{label}</label>
      <input id={testId} className={`${mono ? 'mono' : ''}${bad ? ' invalid' : ''}`} value={value} onChange={(e) => set(e.target.value)} placeholder={placeholder} list={list} data-testid={testId} />
      {bad && <div className="field-note bad">{bad}</div>}
    </div>
  )
}
