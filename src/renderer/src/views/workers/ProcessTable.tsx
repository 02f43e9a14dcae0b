import { useState } from 'react'
import type { DroneView, WorkerProcessView } from '../../../../api/contract.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { fmtBytes, shortId } from '../../lib/format.ts'
import { useAppInfo } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'
import { attach } from '../debugger/store.ts'
import { ProcessProfileButtons } from '../profiles/ProfileControls.tsx'

interface Row {
  drone: DroneView
  p: WorkerProcessView
}

/** Every worker process of every drone in this app, live from the 'drones' push. */
export function ProcessTable({ drones }: { drones: DroneView[] }) {
  const desktop = useAppInfo((i) => i.mode === 'desktop') ?? false
  const openTask = useUi((s) => s.openTask)
  const go = useUi((s) => s.go)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [inspect, setInspect] = useState<string[]>([])
  const rows: Row[] = drones.flatMap((drone) => drone.processes.map((p) => ({ drone, p })))

  const restart = async (r: Row, debug: boolean) => {
    setBusy(`${r.p.workerId}:${debug}`)
    setError(null)
    try {
      const res = await call('drones.restartWorkers', { id: r.drone.id, type: r.p.type, workerId: r.p.workerId, inspect: debug })
      if (debug) {
        setInspect(res.inspectUrls)
        if (desktop) for (const url of res.inspectUrls) await call('drones.openDevTools', { inspectUrl: url })
      }
    } catch (err) {
      setError(toApiError(err))
    } finally {
      setBusy(null)
    }
  }

  if (rows.length === 0) {
    return (
      <EmptyState title="No worker processes running" testId="processes-empty">
        Worker processes start with a drone: open <strong>Drones</strong> (g d), pick a connection and these definitions, and press Start.
      </EmptyState>
    )
  }
  return (
    <>
      <ErrorBox error={error} what="Restart failed" testId="process-error" />
      {inspect.length > 0 && (
        <div className="panel info" data-testid="inspect-urls">
          <strong>Debugger listening.</strong> {desktop ? 'DevTools opened for: ' : 'Open chrome://inspect in Chromium, or this address: '}
          {inspect.map((u) => (
            <code key={u} className="mono selectable" data-testid="inspect-url">
              {u}
            </code>
          ))}
        </div>
      )}
      <table className="table compact" data-testid="processes-table">
        <thead>
          <tr>
            <th>Type</th>
            <th>Drone</th>
            <th className="num">PID</th>
            <th>State</th>
            <th>Current task</th>
            <th className="num">Done</th>
            <th className="num">Failed</th>
            <th className="num">Memory</th>
            <th className="num">CPU</th>
            <th className="num">Restarts</th>
            <th className="actions-col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.drone.id}:${r.p.workerId}`} data-testid={`process-row-${r.p.workerId}`} data-state={r.p.state} data-type={r.p.type}>
              <td className="mono">{r.p.type}</td>
              <td className="ellipsis">{r.drone.name}</td>
              <td className="num mono" data-testid="process-pid">
                {r.p.pid ?? '–'}
              </td>
              <td>
                <span className={`state state-${r.p.state}`}>{r.p.state}</span>
              </td>
              <td className="mono ellipsis">
                {r.p.running.length === 0
                  ? '–'
                  : r.p.running.slice(0, 3).map((id) => (
                      <button key={id} type="button" className="link mono" onClick={() => openTask(id, r.drone.connectionId)}>
                        {shortId(id)}
                      </button>
                    ))}
                {r.p.running.length > 3 && <span className="muted"> +{r.p.running.length - 3}</span>}
              </td>
              <td className="num" data-testid="process-done">
                {r.p.done}
              </td>
              <td className={`num${r.p.failed ? ' bad-text' : ''}`}>{r.p.failed}</td>
              <td className="num">{fmtBytes(r.p.rssBytes)}</td>
              <td className="num">{r.p.cpuPercent.toFixed(0)}%</td>
              <td className="num">{r.p.restarts}</td>
              <td className="actions-col">
                <button type="button" className="btn small" disabled={busy !== null} onClick={() => void restart(r, false)} data-testid="process-restart">
                  {busy === `${r.p.workerId}:false` ? 'Restarting…' : 'Restart'}
                </button>
                <button
                  type="button"
                  className="btn small"
                  disabled={busy !== null}
                  onClick={() => {
                    void attach({ droneId: r.drone.id, type: r.p.type, workerId: r.p.workerId })
                    go('debugger')
                  }}
                  data-testid="process-debugger"
                  title="Debug in the console: breakpoints, stepping, variables (restarts the process with the inspector on)"
                >
                  Debug
                </button>
                <button type="button" className="btn small ghost" disabled={busy !== null} onClick={() => void restart(r, true)} data-testid="process-debug" title="Restart with the inspector on, for DevTools or another debugger">
                  Inspector
                </button>
                <ProcessProfileButtons droneId={r.drone.id} type={r.p.type} workerId={r.p.workerId} disabled={busy !== null || r.p.state === 'starting' || r.p.state === 'stopping'} />
                {r.p.inspectUrl && <span className="tag accent" title={r.p.inspectUrl}>inspect</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
