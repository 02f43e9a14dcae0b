/**
 * A replay's events as they come (the 'replay' pushes): its start, logs and captured output, the
 * postbacks it would have enqueued, then the result or the error with its stack. Shown in a task's
 * Replay panel and, for a replay run with the debugger, in the Debugger view beside the pause.
 */
import { prettyClipped } from '../../lib/json.ts'
import { useUi } from '../../stores/ui.ts'
import { useReplays } from './replays.ts'

/** `inDebugger`: shown in the Debugger view, which needs no link to itself. */
export function ReplayEvents({ replayId, inDebugger = false }: { replayId: string; inDebugger?: boolean }) {
  const events = useReplays((s) => s.events[replayId])
  const go = useUi((s) => s.go)
  if (!events) return null
  const last = events.at(-1)
  const done = last?.kind === 'succeeded' || last?.kind === 'failed' ? last.kind : ''
  return (
    <ol className="replay-events mono small-text" data-testid="replay-events" data-replay-id={replayId} data-done={done}>
      {events.map((e, i) => (
        <li key={i} data-kind={e.kind}>
          {e.kind === 'started' && (
            <span className="muted">
              started in pid {e.pid} with {e.module}
            </span>
          )}
          {e.kind === 'waiting-for-debugger' && <span className="muted">waiting for the console&apos;s debugger at {e.inspectUrl}</span>}
          {e.kind === 'debugging' && (
            <span>
              paused in the debugger at the start of the handler
              {!inDebugger && (
                <>
                  {' '}
                  <button type="button" className="link" onClick={() => go('debugger')} data-testid="replay-open-debugger">
                    open the Debugger
                  </button>
                </>
              )}
            </span>
          )}
          {e.kind === 'log' && (
            <span>
              [{e.stream && e.stream !== 'log' ? e.stream : e.level}] {e.message}
              {e.data !== undefined && <span className="muted"> {JSON.stringify(e.data)}</span>}
            </span>
          )}
          {e.kind === 'would-enqueue' && (
            <span className="warn-text" data-testid="replay-would-enqueue">
              would enqueue {e.type} {JSON.stringify(e.payload)}
            </span>
          )}
          {e.kind === 'succeeded' && (
            <pre className="selectable" data-testid="replay-result">
              {prettyClipped(e.result)}
            </pre>
          )}
          {e.kind === 'failed' && (
            <pre className="bad-text selectable" data-testid="replay-failed">
              {e.error.stack ?? e.error.message}
            </pre>
          )}
        </li>
      ))}
    </ol>
  )
}
