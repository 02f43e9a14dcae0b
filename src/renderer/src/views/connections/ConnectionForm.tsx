import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { connectionInput, type Connection, type ConnectionInput } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useAction } from '../../components/hooks.ts'
import { connectionsQuery } from '../../data/queries.ts'
import { numberField, schemaIssues } from '../../lib/form-check.ts'
import { call } from '../../transport/index.ts'
import { TestResult } from './TestResult.tsx'

type SslMode = NonNullable<ConnectionInput['sslmode']>
const SSL_MODES: SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full']

interface Draft {
  name: string
  kind: 'sqlite' | 'postgres'
  pgMode: 'address' | 'fields'
  path: string
  address: string
  host: string
  port: string
  database: string
  user: string
  password: string
  sslmode: SslMode | ''
  schema: string
}

function draftOf(c: Connection | null): Draft {
  return {
    name: c?.name ?? '',
    kind: c?.kind ?? 'postgres',
    pgMode: c?.host ? 'fields' : 'address',
    path: c?.path ?? '',
    address: c?.address ?? '',
    host: c?.host ?? '',
    port: c?.port ? String(c.port) : '',
    database: c?.database ?? '',
    user: c?.user ?? '',
    password: '',
    sslmode: c?.sslmode ?? '',
    // The schema in use, whether it came from the field or from the address's ?schema= (issue 16).
    schema: c?.schema ?? (c?.kind === 'postgres' ? (c.target.schema ?? '') : ''),
  }
}

/** The schema a draft's address will use: the field, else the address's `?schema=`, else the default. */
export function effectiveSchema(d: Pick<Draft, 'pgMode' | 'address' | 'schema'>): { schema: string; from: 'field' | 'address' | 'default' } {
  if (d.schema.trim()) return { schema: d.schema.trim(), from: 'field' }
  if (d.pgMode === 'address') {
    const m = /[?&]schema=([^&#]*)/.exec(d.address)
    if (m?.[1]) return { schema: decodeURIComponent(m[1]), from: 'address' }
  }
  return { schema: 'swarmage', from: 'default' }
}

/** The input the API takes; empty fields are left out (a blank password keeps the stored one). */
export function inputOf(d: Draft, id?: string): ConnectionInput {
  const input: ConnectionInput = { name: d.name.trim(), kind: d.kind }
  if (id) input.id = id
  if (d.kind === 'sqlite') {
    input.path = d.path.trim()
    return input
  }
  if (d.pgMode === 'address') input.address = d.address.trim()
  else {
    if (d.host.trim()) input.host = d.host.trim()
    if (d.port.trim()) input.port = Number(d.port)
    if (d.database.trim()) input.database = d.database.trim()
    if (d.user.trim()) input.user = d.user.trim()
  }
  if (d.password) input.password = d.password
  if (d.sslmode) input.sslmode = d.sslmode
  if (d.schema.trim()) input.schema = d.schema.trim()
  return input
}

export function ConnectionForm({ editing, onDone }: { editing: Connection | null; onDone: () => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(editing))
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((cur) => ({ ...cur, [k]: v }))
  const qc = useQueryClient()
  const save = useAction(async () => {
    const saved = await call('connections.save', inputOf(d, editing?.id))
    await qc.invalidateQueries({ queryKey: connectionsQuery().queryKey })
    return saved
  })
  const test = useAction(() => call('connections.test', inputOf(d, editing?.id)))
  // The contract's connection schema decides (port 1–65535, the schema name rule); the notes word it for this form.
  const issues = schemaIssues(connectionInput, { ...inputOf(d, editing?.id), port: numberField(d.port), schema: d.schema.trim() || undefined })
  const portBad = issues.has('port')

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (await save.run()) onDone()
  }

  return (
    <form className="panel form" onSubmit={submit} data-testid="connection-form">
      <h2>{editing ? `Edit ${editing.name}` : 'Add a connection'}</h2>
      <div className="row">
        <div className="field grow">
          <label htmlFor="cf-name">Name</label>
          <input id="cf-name" value={d.name} onChange={(e) => set('name', e.target.value)} required data-testid="connection-name" placeholder="production" />
        </div>
        <div className="field">
          <span className="label">Kind</span>
          <div className="segmented" role="radiogroup">
            {(['postgres', 'sqlite'] as const).map((k) => (
              <button key={k} type="button" role="radio" aria-checked={d.kind === k} className={d.kind === k ? 'on' : ''} onClick={() => set('kind', k)} data-testid={`connection-kind-${k}`}>
                {k === 'postgres' ? 'PostgreSQL' : 'SQLite'}
              </button>
            ))}
          </div>
        </div>
      </div>
      {d.kind === 'sqlite' ? (
        <div className="field">
          <label htmlFor="cf-path">Database file</label>
          <input id="cf-path" className="mono" value={d.path} onChange={(e) => set('path', e.target.value)} required placeholder="/var/lib/app/swarm.db" data-testid="connection-path" />
          <div className="field-note">Created on first use. Several drones on this machine may share it.</div>
        </div>
      ) : (
        <>
          <div className="segmented small">
            <button type="button" className={d.pgMode === 'address' ? 'on' : ''} onClick={() => set('pgMode', 'address')} data-testid="connection-mode-address">
              Address
            </button>
            <button type="button" className={d.pgMode === 'fields' ? 'on' : ''} onClick={() => set('pgMode', 'fields')} data-testid="connection-mode-fields">
              Fields
            </button>
          </div>
          {d.pgMode === 'address' ? (
            <div className="field">
              <label htmlFor="cf-address">Address</label>
              <input id="cf-address" className="mono" value={d.address} onChange={(e) => set('address', e.target.value)} placeholder="postgres://user:pass@host:5432/db" data-testid="connection-address" />
              <div className="field-note">A password inside the address is stored like a password field, and never shown again.</div>
            </div>
          ) : (
            <div className="grid-fields">
              <Text id="host" label="Host" value={d.host} set={(v) => set('host', v)} placeholder="localhost" />
              <Text id="port" label="Port" value={d.port} set={(v) => set('port', v)} placeholder="5432" bad={portBad ? 'a number 1–65535' : undefined} />
              <Text id="database" label="Database" value={d.database} set={(v) => set('database', v)} placeholder="app" />
              <Text id="user" label="User" value={d.user} set={(v) => set('user', v)} placeholder="postgres" />
            </div>
          )}
          <div className="grid-fields">
            <div className="field">
              <label htmlFor="cf-password">Password</label>
              <input id="cf-password" type="password" autoComplete="new-password" value={d.password} onChange={(e) => set('password', e.target.value)} placeholder={editing?.hasPassword ? '(unchanged)' : ''} data-testid="connection-password" />
            </div>
            <div className="field">
              <label htmlFor="cf-ssl">TLS mode</label>
              <select id="cf-ssl" value={d.sslmode} onChange={(e) => set('sslmode', e.target.value as SslMode | '')} data-testid="connection-sslmode">
                <option value="">default</option>
                {SSL_MODES.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <Text id="schema" label="Schema" value={d.schema} set={(v) => set('schema', v)} placeholder={effectiveSchema(d).schema} bad={issues.has('schema') ? 'letters, digits, _ (not first)' : undefined} />
              <div className="field-note" data-testid="connection-schema-effective" data-schema={effectiveSchema(d).schema}>
                uses schema <span className="mono">{effectiveSchema(d).schema}</span>
                {effectiveSchema(d).from === 'address' ? ' (from the address)' : effectiveSchema(d).from === 'default' ? ' (the default)' : ''}
              </div>
            </div>
          </div>
        </>
      )}
      <div className="actions">
        <button type="submit" className="btn primary" disabled={save.busy || portBad} data-testid="connection-save">
          {save.busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="btn" onClick={() => void test.run()} disabled={test.busy} data-testid="connection-form-test">
          {test.busy ? 'Testing…' : 'Test'}
        </button>
        <button type="button" className="btn ghost" onClick={onDone} data-testid="connection-cancel">
          Cancel
        </button>
      </div>
      {test.result && <TestResult result={test.result} testId="connection-form-test-result" />}
      <ErrorBox error={test.error} what="Test failed" testId="connection-form-test-error" />
      <ErrorBox error={save.error} what="Not saved" testId="connection-save-error" />
      {save.error?.message.includes('acceptPlaintextSecrets') && (
        <div className="panel info" data-testid="connection-plaintext">
          This system has no keyring: the password can only be kept as plain text in the app's data folder.
          <button
            type="button"
            className="btn"
            onClick={async () => {
              await call('app.acceptPlaintextSecrets', { accept: true })
              if (await save.run()) onDone()
            }}
            data-testid="connection-plaintext-accept"
          >
            Accept and save
          </button>
        </div>
      )}
    </form>
  )
}

function Text({ id, label, value, set, placeholder, bad }: { id: string; label: string; value: string; set: (v: string) => void; placeholder?: string; bad?: string | undefined }) {
  return (
    <div className="field">
      <label htmlFor={`cf-${id}`}>{label}</label>
      <input id={`cf-${id}`} className={bad ? 'invalid' : ''} value={value} onChange={(e) => set(e.target.value)} placeholder={placeholder} data-testid={`connection-${id}`} />
      {bad && <div className="field-note bad">{bad}</div>}
    </div>
  )
}
