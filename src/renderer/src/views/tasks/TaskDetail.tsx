import { useQuery } from '@tanstack/react-query'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { taskQuery } from '../../data/queries.ts'
import { taskHref } from '../../router/routes.ts'
import { fmtDuration, fmtMs, fmtTime, spanMs } from '../../lib/format.ts'
import { prettyClipped } from '../../lib/json.ts'
import { progress, recent, useFlow } from '../../stores/flow.ts'
import { useUi } from '../../stores/ui.ts'
import { DebugTaskButton } from '../debugger/DebugTaskButton.tsx'
import { ReplayPanel } from '../debugger/ReplayPanel.tsx'
import { TaskActions } from './TaskActions.tsx'
import { WhyPanel } from './WhyPanel.tsx'
import { TaskProfileLinks } from '../profiles/TaskProfileLinks.tsx'

export function TaskDetail({ connectionId, id, onClose }: { connectionId: string; id: string; onClose: () => void }) {
  const openTask = useUi((s) => s.openTask)
  // Kept current by pushes (data/push-cache.ts) and re-read on reconnect (data/live.ts); see taskQuery.
  const { data: detail, error, refetch } = useQuery(taskQuery(connectionId, id))
  const load = async (): Promise<void> => {
    await refetch()
  }

  const t = detail?.task
  // Read from the flow buffers on each flow batch; the selector's value changes only when this task's does, so only then does the detail render.
  const prog = useFlow(() => progress.get(id))
  // The run time measured in the worker is not stored with the task: shown when this console saw the outcome live.
  const runMs = useFlow(() => lastRunMs(id))
  return (
    <aside className="detail" data-testid="task-detail" data-id={id} data-state={t?.state}>
      <header className="detail-head">
        <h2 className="mono selectable" data-testid="task-detail-id">
          {id}
        </h2>
        {/* The task's address (its queue included, never the token): copy it from here or the address bar to share it. */}
        <a className="btn small ghost" href={taskHref(connectionId, id)} title="A link to this task (copy it to share)" data-testid="task-link">
          link
        </a>
        <button type="button" className="btn small ghost" onClick={onClose} aria-label="Close (Esc)" data-testid="task-detail-close">
          ×
        </button>
      </header>
      <ErrorBox error={error} what="Could not load the task" onRetry={() => void load()} testId="task-detail-error" />
      {!t ? (
        !error && <div className="muted">loading…</div>
      ) : (
        <div className="detail-body">
          <div className="kv">
            <span>type</span>
            <strong className="mono">{t.type}</strong>
            <span>state</span>
            <strong>
              <span className={`state state-${t.state}`} data-testid="task-detail-state">
                {t.state}
              </span>
            </strong>
            <span>attempts</span>
            <strong>
              {t.attempts} / {t.maxAttempts}
            </strong>
            <span>priority</span>
            <strong>{t.priority}</strong>
            <span>key</span>
            <strong className="mono">{t.key ?? '–'}</strong>
            <span>run at</span>
            <strong>{fmtTime(t.runAt)}</strong>
            <span>created</span>
            <strong>{fmtTime(t.createdAt)}</strong>
            <span>started</span>
            <strong>{fmtTime(t.startedAt)}</strong>
            <span>finished</span>
            <strong>{fmtTime(t.finishedAt)}</strong>
            {/* Labelled and clamped like every duration of the console (fmtDuration): wait counts from runAt when it is later than the enqueue. */}
            <span>durations</span>
            <strong data-testid="task-durations">
              {runMs !== null && `${fmtDuration('run', runMs)} · `}
              {fmtDuration('wait', spanMs(t.runAt > t.createdAt ? t.runAt : t.createdAt, t.startedAt))} · {fmtDuration('total', spanMs(t.createdAt, t.finishedAt))}
            </strong>
            <span>drone</span>
            <strong>{t.drone ?? '–'}</strong>
          </div>
          {(t.state === 'running' || prog !== undefined) && (
            <div className="progress-line" data-testid="task-progress">
              progress: <span className="mono">{prog === undefined ? 'none reported' : JSON.stringify(prog)}</span>
              {typeof prog === 'number' && prog >= 0 && prog <= 1 && (
                <span className="meter wide">
                  <span className="meter-fill" style={{ width: `${prog * 100}%` }} />
                </span>
              )}
            </div>
          )}
          <TaskActions connectionId={connectionId} detail={detail} onChanged={load} />
          <DebugTaskButton connectionId={connectionId} task={t} />
          <ReplayPanel key={t.id} connectionId={connectionId} task={t} />
          <WhyPanel connectionId={connectionId} id={id} state={t.state} />
          <TaskProfileLinks taskId={id} />
          {detail.parent && (
            <div>
              parent:{' '}
              <button type="button" className="link mono" onClick={() => openTask(detail.parent!.id)} data-testid="task-parent">
                {detail.parent.type} {detail.parent.id}
              </button>{' '}
              <span className={`state state-${detail.parent.state}`}>{detail.parent.state}</span>
            </div>
          )}
          {detail.children.length > 0 && (
            <div data-testid="task-children">
              children ({detail.children.length}):{' '}
              {detail.children.slice(0, 50).map((c) => (
                <button key={c} type="button" className="link mono" onClick={() => openTask(c)} data-testid="task-child">
                  {c}
                </button>
              ))}
            </div>
          )}
          {t.error && (
            <section className="error-section" data-testid="task-error">
              <h3>Error</h3>
              <div className="bad-text" data-testid="task-error-message">
                {t.error.message}
              </div>
              {t.error.stack && (
                <pre className="code" data-testid="task-error-stack">
                  {t.error.stack}
                </pre>
              )}
            </section>
          )}
          <Json title="Payload" value={t.payload} testId="task-payload" />
          {t.result !== null && <Json title="Result" value={t.result} testId="task-result" />}
          <section>
            <h3>Attempts</h3>
            {detail.attempts.length === 0 ? (
              <div className="muted">none finished yet</div>
            ) : (
              <table className="table compact attempts" data-testid="task-attempts">
                <thead>
                  <tr>
                    <th className="num">#</th>
                    <th>Drone</th>
                    <th className="num">PID</th>
                    <th>Start</th>
                    <th className="num" title="From the handler's start in the worker to the outcome's arrival in the queue">
                      Start → recorded
                    </th>
                    <th>Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.attempts.map((a) => (
                    <tr key={`${a.attempt}-${a.finishedAt}`} title={a.error?.message}>
                      <td className="num">{a.attempt}</td>
                      <td className="ellipsis">{a.drone ?? '–'}</td>
                      <td className="num mono">{a.workerPid ?? '–'}</td>
                      <td title={`ended ${fmtTime(a.finishedAt)}`}>{fmtTime(a.startedAt)}</td>
                      <td className="num" data-testid="task-attempt-took">
                        {fmtMs(spanMs(a.startedAt, a.finishedAt))}
                      </td>
                      <td>
                        <span className={`state state-${a.outcome}`}>{a.outcome}</span>
                        {a.error && <div className="bad-text small-text">{a.error.message}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section>
            <h3>Logs</h3>
            {detail.logs.length === 0 ? (
              <div className="muted">no log lines (ctx.log.info(…) in the worker adds them)</div>
            ) : (
              <ol className="logs mono" data-testid="task-logs">
                {detail.logs.map((l, i) => (
                  <li key={i} className={`log-${l.level}`} data-stream={l.stream ?? 'log'}>
                    {/* Captured output shows its stream (stdout, stderr) where ctx.log lines show their level. */}
                    <span className="muted">{fmtTime(l.at)}</span> <span className="log-level">{l.stream === 'stdout' || l.stream === 'stderr' ? l.stream : l.level}</span> {l.message}
                    {l.data !== undefined && <span className="muted"> {JSON.stringify(l.data)}</span>}
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
      )}
    </aside>
  )
}

function Json({ title, value, testId }: { title: string; value: unknown; testId: string }) {
  return (
    <section>
      <h3>{title}</h3>
      <pre className="code" data-testid={testId}>
        {prettyClipped(value)}
      </pre>
    </section>
  )
}

/** The worker-measured run time of the task's last outcome among the flow's recent events, or null. */
function lastRunMs(id: string): number | null {
  for (let i = recent.length - 1; i >= 0; i--) {
    const e = recent[i]!
    if ('taskId' in e && e.taskId === id && (e.kind === 'succeeded' || e.kind === 'failed') && e.durationMs !== undefined) return e.durationMs
  }
  return null
}
