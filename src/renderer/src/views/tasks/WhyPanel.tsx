import { useEffect, useState } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useInterval } from '../../components/hooks.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'

type Why = ApiResults['tasks.why']

/** Re-read this often while the task is queued or running, so countdowns (runAt, lease) tick. */
const WHY_POLL_MS = 1000

/**
 * "Why isn't this running?" (src/debug/why.ts): the server computes the reasons from the global
 * queue; this panel shows them, one a line, re-read every second while the task is not finished.
 */
export function WhyPanel({ connectionId, id, state }: { connectionId: string; id: string; state: string }) {
  const [why, setWhy] = useState<Why | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const load = async () => {
    try {
      const w = await call('tasks.why', { connectionId, id })
      setWhy(w)
      setError(null)
    } catch (err) {
      setError(toApiError(err))
    }
  }
  const live = state === 'queued' || state === 'running'
  useEffect(() => setWhy(null), [id])
  useInterval(() => void load(), WHY_POLL_MS, live && !error)
  useEffect(() => {
    if (!live) void load()
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one read when the task turns final
  }, [live, id])

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
