import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { BulkJobView, BulkViewFilter } from '../../../../api/bulk-jobs.ts'
import '../../styles/bulk.css'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { bulkJobsQuery } from '../../data/queries.ts'
import { updateBulkJob } from '../../data/push-cache.ts'
import { tasksListsKey, type TaskFilters } from '../../data/tasks.ts'
import { shownJob, useBulkUi } from '../../stores/bulk.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'

type Verb = BulkJobView['verb']
const LABEL: Record<Verb, { verb: string; done: string }> = {
  retry: { verb: 'Retry', done: 'retried' },
  cancel: { verb: 'Cancel', done: 'cancelled' },
  delete: { verb: 'Delete', done: 'deleted' },
}
const n = (x: number): string => x.toLocaleString('en')

function describeFilter(f: BulkViewFilter): string {
  const parts = [f.state && `state ${f.state}`, f.type && `type ${f.type}`, f.search && `text “${f.search}”`].filter(Boolean)
  return parts.length ? parts.join(', ') : 'no filter: every task of this queue'
}

/**
 * Bulk actions by the Tasks view's current filter (issue #14): the exact count first, then the job
 * runs in the service in batches, its progress pushed after each; Abort stops it between batches.
 * The finished line stays until dismissed; the Activity view keeps both ends.
 */
export function BulkBar({ connectionId, filters }: { connectionId: string; filters: TaskFilters }) {
  const qc = useQueryClient()
  const dismissed = useBulkUi((s) => s.dismissed)
  const job = useQuery({ ...bulkJobsQuery(), select: (jobs) => shownJob(jobs, dismissed, connectionId) }).data ?? null
  const [asking, setAsking] = useState<{ verb: Verb; count: number | null; filter: BulkViewFilter } | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)

  // A changed filter makes a pending question stale.
  useEffect(() => setAsking(null), [connectionId, filters])
  // The list shows the outcome once the job ends.
  const ended = job && job.state !== 'running' ? job.id : null
  useEffect(() => {
    // Back to the first page of every list of this queue: re-reading all loaded pages could be 100 calls.
    if (ended) void qc.resetQueries({ queryKey: tasksListsKey(connectionId) })
  }, [ended, qc, connectionId])

  const ask = (verb: Verb): void => {
    const filter: BulkViewFilter = { ...filters }
    setError(null)
    setAsking({ verb, count: null, filter })
    call('tasks.bulkCount', { connectionId, filter }).then(
      (r) => setAsking((a) => (a && a.verb === verb ? { ...a, count: r.matched } : a)),
      (err) => {
        setAsking(null)
        setError(toApiError(err))
      },
    )
  }
  const confirm = (): void => {
    if (!asking) return
    setBusy(true)
    call('tasks.bulk', { connectionId, verb: asking.verb, filter: asking.filter }).then(
      (j) => {
        qc.setQueryData(bulkJobsQuery().queryKey, (jobs) => updateBulkJob(jobs, j))
        setAsking(null)
        setBusy(false)
      },
      (err) => {
        setError(toApiError(err))
        setBusy(false)
      },
    )
  }

  if (job?.state === 'running') {
    const l = LABEL[job.verb]
    return (
      <div className="bulk-bar" data-testid="bulk-bar" data-state="running">
        <progress max={Math.max(job.expected, job.matched, 1)} value={job.matched} data-testid="bulk-progress" />
        <span data-testid="bulk-progress-text" data-matched={job.matched} data-changed={job.changed}>
          {l.verb}: {n(job.changed)} {l.done}, {n(job.matched)} of ~{n(job.expected)} matching walked
        </span>
        <button type="button" className="btn small danger" onClick={() => void call('tasks.bulkAbort', { jobId: job.id })} data-testid="bulk-abort">
          Abort
        </button>
      </div>
    )
  }

  return (
    <div className="bulk-bar" data-testid="bulk-bar" data-state={asking ? 'asking' : job ? job.state : 'idle'}>
      {asking ? (
        <>
          <span data-testid="bulk-question" data-count={asking.count ?? ''}>
            {asking.count === null ? 'Counting…' : `${LABEL[asking.verb].verb} all ${n(asking.count)} task${asking.count === 1 ? '' : 's'} matching ${describeFilter(asking.filter)}?`}
          </span>
          <button type="button" className={`btn small ${asking.verb === 'retry' ? 'primary' : 'danger'}`} disabled={busy || !asking.count} onClick={confirm} data-testid="bulk-confirm">
            {LABEL[asking.verb].verb} {asking.count === null ? '' : n(asking.count)}
          </button>
          <button type="button" className="btn small ghost" onClick={() => setAsking(null)} data-testid="bulk-back">
            Back
          </button>
        </>
      ) : (
        <>
          {job && (
            <span data-testid="bulk-result" data-state={job.state} data-matched={job.matched} data-changed={job.changed}>
              {job.state === 'failed'
                ? `${LABEL[job.verb].verb} failed after ${n(job.changed)} ${LABEL[job.verb].done}: ${job.error}`
                : `${job.state === 'aborted' ? 'Aborted' : 'Done'}: ${n(job.changed)} ${LABEL[job.verb].done} of ${n(job.matched)} matching${job.matched > job.changed ? ` (${n(job.matched - job.changed)} no longer qualified)` : ''}.`}{' '}
              <button type="button" className="link" onClick={() => useBulkUi.getState().dismiss(job.id)} data-testid="bulk-dismiss">
                Dismiss
              </button>
            </span>
          )}
          <span className="muted">All matching:</span>
          {(['retry', 'cancel', 'delete'] as const).map((v) => (
            <button key={v} type="button" className="btn small" onClick={() => ask(v)} data-testid={`bulk-${v}`}>
              {LABEL[v].verb} all…
            </button>
          ))}
        </>
      )}
      <ErrorBox error={error} what="Bulk action" testId="bulk-error" />
    </div>
  )
}
