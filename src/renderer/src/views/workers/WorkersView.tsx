import { useState } from 'react'
import type { WorkerDefinitionRecord } from '../../../../api/contract.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useListKeys } from '../../components/hooks.ts'
import { useDroneList, useWorkerDefs } from '../../data/queries.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'
import { DebugTypeButton } from '../debugger/DebugTypeButton.tsx'
import { ProfileTypeButton } from '../profiles/ProfileControls.tsx'
import { ProcessTable } from './ProcessTable.tsx'
import { WorkerForm } from './WorkerForm.tsx'

export function WorkersView() {
  const { data: items = [], isSuccess: loaded, error, refetch: load } = useWorkerDefs()
  const drones = useDroneList()
  const [form, setForm] = useState<{ editing: WorkerDefinitionRecord | null } | null>(null)
  const [cursor, setCursor] = useState(0)
  const [removeError, setRemoveError] = useState<ApiError | null>(null)
  useListKeys({ count: items.length, index: cursor, setIndex: setCursor, onOpen: (i) => setForm({ editing: items[i] ?? null }), onClose: () => setForm(null), enabled: !form })

  const remove = async (d: WorkerDefinitionRecord) => {
    if (!window.confirm(`Remove the worker definition for "${d.type}"? Running drones keep their processes until restarted.`)) return
    setRemoveError(null)
    try {
      await call('workers.remove', { id: d.id })
      await load()
    } catch (err) {
      setRemoveError(toApiError(err))
    }
  }

  return (
    <div className="stack">
      <div className="view-head">
        <h1>Workers</h1>
        <p className="muted">Worker definitions: one task type each, served by a module in its own processes.</p>
        <div className="spacer" />
        <button type="button" className="btn primary" onClick={() => setForm({ editing: null })} data-testid="worker-add">
          Add worker
        </button>
      </div>
      {form && <WorkerForm key={form.editing?.id ?? 'new'} editing={form.editing} onDone={() => setForm(null)} />}
      <ErrorBox error={error} what="Could not list worker definitions" onRetry={() => void load()} testId="workers-error" />
      <ErrorBox error={removeError} what="Not removed" testId="worker-remove-error" />
      {loaded && items.length === 0 && !error && (
        <EmptyState title="No worker definitions" testId="workers-empty">
          Press <strong>Add worker</strong>: name the task type it serves and give the path of its module (a file whose default export is <code>async (payload, ctx) =&gt; result</code>).
        </EmptyState>
      )}
      {items.length > 0 && (
        <table className="table compact" data-testid="workers-table">
          <thead>
            <tr>
              <th>Type</th>
              <th>Module</th>
              <th className="num">Processes</th>
              <th className="num">Concurrency</th>
              <th>Config</th>
              <th className="actions-col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d, i) => (
              <tr key={d.id} className={i === cursor ? 'cursor' : ''} data-testid={`worker-row-${d.type}`} onClick={() => setCursor(i)}>
                <td className="mono">
                  {d.type}
                  {d.example && (
                    <span className="tag warn" title="An example worker from the app's resources (present because the console runs with --examples)" data-testid={`worker-example-${d.type}`}>
                      example
                    </span>
                  )}
                </td>
                <td className="mono ellipsis" title={d.module}>
                  {d.module}
                  {!d.moduleExists && (
                    <span className="tag bad" title="The file is not there: fix the path or create the file">
                      missing
                    </span>
                  )}
                </td>
                <td className="num">{d.processes}</td>
                <td className="num">{d.concurrency}</td>
                <td className="mono ellipsis muted">{d.config === undefined ? '–' : JSON.stringify(d.config)}</td>
                <td className="actions-col">
                  <button type="button" className="btn small ghost" onClick={() => setForm({ editing: d })} data-testid={`worker-edit-${d.type}`}>
                    Edit
                  </button>
                  <DebugTypeButton type={d.type} processes={d.processes} />
                  <ProfileTypeButton type={d.type} processes={d.processes} />
                  <button type="button" className="btn small danger" onClick={() => void remove(d)} data-testid={`worker-remove-${d.type}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 className="section">Worker processes</h2>
      <ProcessTable drones={drones} />
    </div>
  )
}
