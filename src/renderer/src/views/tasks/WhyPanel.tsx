import { useQuery } from '@tanstack/react-query'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { callApi } from '../../data/api-query.ts'

/** Re-read this often while the task is queued or running, so countdowns (runAt, lease) tick. */
const WHY_POLL_MS = 1000

/**
 * "Why isn't this running?" (src/debug/why.ts): the server computes the reasons from the global
 * queue; this panel shows them, one a line, re-read every second while the task is not finished.
 */
export function WhyPanel({ connectionId, id, state }: { connectionId: string; id: string; state: string }) {
  const live = state === 'queued' || state === 'running'
  // The reasons are computed by the server from the whole queue (limits, drones, lease expiry), so no push carries them: re-read on a timer while live, and once more when the task turns final (the state is in the key).
  const { data: why, error, refetch } = useQuery({
    queryKey: ['tasks.why', { connectionId, id }, state],
    queryFn: () => callApi('tasks.why', { connectionId, id }),
    refetchInterval: (q) => (live && !q.state.error ? WHY_POLL_MS : false),
  })
  const load = (): void => void refetch()

  return (
    <section className="why" data-testid="task-why">
      <h3>{live ? "Why isn't it running?" : 'How it ended'}</h3>
      <ErrorBox error={error} what="Could not explain the task" onRetry={() => void load()} testId="task-why-error" />
      {why && why.id === id && (
        <ul className="why-reasons">
          {why.reasons.map((r, i) => (
            <li key={`${r.code}-${i}`} data-testid="task-why-reason" data-code={r.code}>
              <span className={`tag${r.code === 'next-in-line' || r.code === 'succeeded' ? '' : ' warn'}`}>{r.code}</span> {r.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
