import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { TaskDetail } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { JsonField } from '../../components/JsonField.tsx'
import { useAction } from '../../components/hooks.ts'
import { parseJson, pretty } from '../../lib/json.ts'
import { dropTaskEverywhere, patchTaskEverywhere, tasksListsKey } from '../../data/tasks.ts'
import { useUi } from '../../stores/ui.ts'
import { call } from '../../transport/index.ts'

/** Retry, cancel, delete, and "enqueue a copy" with an edited payload. */
export function TaskActions({ connectionId, detail, onChanged }: { connectionId: string; detail: TaskDetail; onChanged: () => Promise<void> }) {
  const t = detail.task
  const openTask = useUi((s) => s.openTask)
  const qc = useQueryClient()
  const [copy, setCopy] = useState<string | null>(null)
  const act = useAction(async (what: 'retry' | 'cancel' | 'delete') => {
    if (what === 'delete') {
      await call('tasks.delete', { connectionId, id: t.id })
      dropTaskEverywhere(qc, connectionId, t.id)
      openTask(null)
      return
    }
    const updated = await call(what === 'retry' ? 'tasks.retry' : 'tasks.cancel', { connectionId, id: t.id })
    patchTaskEverywhere(qc, connectionId, updated)
    await onChanged()
  })
  const enqueue = useAction(async () => {
    const parsed = parseJson(copy ?? '', { allowEmpty: false })
    if (!parsed.ok) throw new Error(parsed.error)
    const r = await call('tasks.enqueue', { connectionId, type: t.type, payload: parsed.value, options: { priority: t.priority, maxAttempts: t.maxAttempts } })
    void qc.resetQueries({ queryKey: tasksListsKey(connectionId) })
    return r
  })
  const copyValid = copy !== null && parseJson(copy, { allowEmpty: false }).ok
  const canRetry = t.state === 'failed' || t.state === 'cancelled'
  const canCancel = t.state === 'queued' || t.state === 'running'

  return (
    <div className="task-actions">
      <div className="actions">
        <button type="button" className="btn" disabled={!canRetry || act.busy} onClick={() => void act.run('retry')} data-testid="task-retry" title={canRetry ? 'Queue it again with fresh attempts' : 'Only failed or cancelled tasks can be retried'}>
          Retry
        </button>
        <button type="button" className="btn" disabled={!canCancel || act.busy} onClick={() => void act.run('cancel')} data-testid="task-cancel" title={canCancel ? 'Stop it; a running task gets its abort signal' : 'Only queued or running tasks can be cancelled'}>
          Cancel
        </button>
        <button
          type="button"
          className="btn danger"
          disabled={t.state === 'running' || act.busy}
          onClick={() => {
            if (window.confirm(`Delete task ${t.id}? Its logs and attempts go too.`)) void act.run('delete')
          }}
          data-testid="task-delete"
          title={t.state === 'running' ? 'Cancel it first: a running task cannot be deleted' : 'Delete it for good'}
        >
          Delete
        </button>
        <button type="button" className="btn" onClick={() => setCopy(copy === null ? pretty(t.payload) || 'null' : null)} data-testid="task-copy-toggle">
          {copy === null ? 'Enqueue a copy…' : 'Close copy'}
        </button>
      </div>
      <ErrorBox error={act.error} what="Action failed" testId="task-action-error" />
      {copy !== null && (
        <div className="panel inset" data-testid="task-copy">
          <JsonField label={`Payload of the copy (type ${t.type})`} value={copy} onChange={setCopy} testId="task-copy-payload" rows={6} allowEmpty={false} />
          <div className="actions">
            <button type="button" className="btn primary" disabled={!copyValid || enqueue.busy} onClick={() => void enqueue.run()} data-testid="task-copy-send">
              {enqueue.busy ? 'Enqueueing…' : 'Enqueue copy'}
            </button>
            {enqueue.result && (
              <span data-testid="task-copy-result">
                enqueued{' '}
                <button type="button" className="link mono" onClick={() => openTask(enqueue.result!.id)}>
                  {enqueue.result.id}
                </button>
              </span>
            )}
          </div>
          <ErrorBox error={enqueue.error} what="Not enqueued" testId="task-copy-error" />
        </div>
      )}
    </div>
  )
}
