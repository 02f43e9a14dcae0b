import { useQuery } from '@tanstack/react-query'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { fmtTime } from '../../lib/format.ts'
import { activityQuery } from '../../data/queries.ts'

/** The operator actions taken in this console (who, what, when, how it ended), newest first, live. */
export function ActivityView() {
  // Re-read on every visit (lines pushed meanwhile are merged in by push-cache.ts while it is cached).
  const { data: items = [], error, refetch } = useQuery({ ...activityQuery(), refetchOnMount: 'always' })
  return (
    <div className="stack">
      <div className="view-head">
        <h1>Activity</h1>
        <p className="muted">
          Every action that changed something, by whom: <code>token</code> (the browser console and its address), <code>ipc</code> (the
          desktop window), <code>no-token</code> (a loopback console without a token), <code>console</code> (the console itself).
        </p>
      </div>
      <ErrorBox error={error} what="Could not read the activity list" onRetry={() => void refetch()} testId="activity-error" />
      {items.length === 0 && !error ? (
        <EmptyState title="No action yet" testId="activity-empty">
          Retrying a task, starting a drone or saving a connection adds a line here.
        </EmptyState>
      ) : (
        <table className="table compact" data-testid="activity">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} data-testid="activity-row" data-action={e.action}>
                <td>{fmtTime(e.at)}</td>
                <td className="mono">{e.who}</td>
                <td className="mono">{e.action}</td>
                <td className="mono">{e.target}</td>
                <td className={e.outcome === 'ok' ? '' : 'bad-text'}>{e.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
