import { useState } from 'react'
import type { ApiResults, Connection } from '../../../../api/contract.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useListKeys } from '../../components/hooks.ts'
import { useConnections } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'
import { ConnectionForm } from './ConnectionForm.tsx'
import { TestResult } from './TestResult.tsx'

type RowStatus = { busy?: string; test?: ApiResults['connections.test']; migrated?: number[]; error?: ApiError }

export function ConnectionsView() {
  const { data: items = [], isSuccess: loaded, error, refetch: load } = useConnections()
  const selected = useUi((s) => s.connectionId)
  const select = useUi((s) => s.selectConnection)
  const [form, setForm] = useState<{ editing: Connection | null } | null>(null)
  const [status, setStatus] = useState<Record<string, RowStatus>>({})
  const [cursor, setCursor] = useState(0)
  useListKeys({ count: items.length, index: cursor, setIndex: setCursor, onOpen: (i) => setForm({ editing: items[i] ?? null }), onClose: () => setForm(null), enabled: !form })

  const act = async (c: Connection, what: 'test' | 'migrate' | 'remove') => {
    setStatus((s) => ({ ...s, [c.id]: { ...s[c.id], busy: what, error: undefined } }))
    try {
      if (what === 'test') {
        const test = await call('connections.test', { id: c.id })
        setStatus((s) => ({ ...s, [c.id]: { test } }))
      } else if (what === 'migrate') {
        const r = await call('connections.migrate', { id: c.id })
        const test = await call('connections.test', { id: c.id })
        setStatus((s) => ({ ...s, [c.id]: { migrated: r.applied, test } }))
      } else {
        if (!window.confirm(`Remove the connection "${c.name}"? Tasks in its queue are not touched.`)) {
          setStatus((s) => ({ ...s, [c.id]: {} }))
          return
        }
        await call('connections.remove', { id: c.id })
        await load()
      }
    } catch (err) {
      setStatus((s) => ({ ...s, [c.id]: { error: toApiError(err) } }))
    }
  }

  return (
    <div className="stack">
      <div className="view-head">
        <h1>Connections</h1>
        <p className="muted">The queues this console works on. The selected one (top bar) is used by Tasks, Enqueue and Cluster.</p>
        <div className="spacer" />
        <button type="button" className="btn primary" onClick={() => setForm({ editing: null })} data-testid="connection-add">
          Add connection
        </button>
      </div>
      {form && <ConnectionForm key={form.editing?.id ?? 'new'} editing={form.editing} onDone={() => setForm(null)} />}
      <ErrorBox error={error} what="Could not list connections" onRetry={() => void load()} testId="connections-error" />
      {loaded && items.length === 0 && !error && (
        <EmptyState title="No connections yet" testId="connections-empty">
          Press <strong>Add connection</strong> and give a PostgreSQL address (the shared cluster queue) or an SQLite file (one machine).
        </EmptyState>
      )}
      {items.length > 0 && (
        <table className="table" data-testid="connections-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Host / file</th>
              <th>Database</th>
              <th>Schema</th>
              <th>Status</th>
              <th className="actions-col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c, i) => {
              const st = status[c.id] ?? {}
              return (
                <tr key={c.id} className={`${i === cursor ? 'cursor' : ''}${c.id === selected ? ' selected' : ''}`} data-testid={`connection-row-${c.name}`} data-id={c.id} onClick={() => setCursor(i)}>
                  <td>
                    {c.name} {c.builtin && <span className="tag">built-in</span>}
                    {c.id === selected && <span className="tag accent">in use</span>}
                  </td>
                  <td>{c.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'}</td>
                  {/* What differs between connections, each in its own column; the whole address (password masked) on hover. */}
                  <td className="mono ellipsis" title={c.display} data-testid={`connection-host-${c.name}`}>
                    {c.target.host ?? c.target.path ?? c.display}
                  </td>
                  <td className="mono" title={c.display}>
                    {c.target.database ?? '–'}
                  </td>
                  <td className="mono" title={c.display} data-testid={`connection-schema-${c.name}`}>
                    {c.target.schema ?? '–'}
                  </td>
                  <td className="status-cell">
                    {st.busy && <span className="spinner" aria-label={st.busy} />}
                    {st.test && <TestResult result={st.test} testId={`connection-test-${c.name}`} />}
                    {st.migrated && (
                      <div className="muted" data-testid={`connection-migrated-${c.name}`}>
                        {st.migrated.length ? `applied migrations ${st.migrated.join(', ')}` : 'schema already current'}
                      </div>
                    )}
                    {st.error && <ErrorBox error={st.error} testId={`connection-error-${c.name}`} />}
                  </td>
                  <td className="actions-col">
                    <button type="button" className="btn small" onClick={() => void act(c, 'test')} disabled={!!st.busy} data-testid={`connection-test-btn-${c.name}`}>
                      Test
                    </button>
                    <button type="button" className="btn small" onClick={() => void act(c, 'migrate')} disabled={!!st.busy} data-testid={`connection-migrate-${c.name}`}>
                      Migrate
                    </button>
                    <button type="button" className="btn small" onClick={() => select(c.id)} disabled={c.id === selected} data-testid={`connection-use-${c.name}`}>
                      Use
                    </button>
                    <button type="button" className="btn small ghost" onClick={() => setForm({ editing: c })} data-testid={`connection-edit-${c.name}`}>
                      Edit
                    </button>
                    {!c.builtin && (
                      <button type="button" className="btn small danger" onClick={() => void act(c, 'remove')} disabled={!!st.busy} data-testid={`connection-remove-${c.name}`}>
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </div>
  )
}
