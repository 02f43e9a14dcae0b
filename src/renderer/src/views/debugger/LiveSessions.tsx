/**
 * The debug sessions the console's server holds, for a page that has none open: after a reload, in
 * another tab, or once the operator navigated away. A session outlives its page (a paused worker or
 * replay stays paused), so the Debugger offers to join it rather than leaving it unreachable.
 */
import { useQuery } from '@tanstack/react-query'
import { apiQuery } from '../../data/api-query.ts'
import { openSession } from './store.ts'

/** Nothing pushes the list of sessions (a 'debug' push names one): re-read while the view shows it. */
const SESSIONS_POLL_MS = 2000

export function LiveSessions() {
  const { data: sessions } = useQuery({ ...apiQuery('debug.sessions', {}), refetchInterval: SESSIONS_POLL_MS })
  if (!sessions?.length) return null
  return (
    <section className="panel" data-testid="debug-sessions">
      <h3 className="section">Live debug sessions</h3>
      <ul className="debug-session-list">
        {sessions.map((s) => (
          <li key={s.sessionId} className="row" data-testid="debug-session" data-session-id={s.sessionId}>
            <span className={`tag ${s.paused ? 'warn' : 'good'}`}>{s.paused ? 'paused' : 'running'}</span>
            <span>
              <span className="mono">{s.type}</span>{' '}
              {s.replay ? (
                <>
                  replay of task <span className="mono">{s.replay.taskId}</span>
                </>
              ) : (
                <>
                  process {s.workerId} · drone {s.droneName}
                </>
              )}{' '}
              <span className="muted">(pid {s.pid ?? '–'})</span>
            </span>
            <button type="button" className="btn small" onClick={() => openSession(s)} data-testid="debug-session-join">
              Join
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}
