import { useQueryClient } from '@tanstack/react-query'
import type { DroneView } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useAction } from '../../components/hooks.ts'
import { fmtAgo, fmtTime } from '../../lib/format.ts'
import { dronesQuery, useConnections } from '../../data/queries.ts'
import { call } from '../../transport/index.ts'
import { HoldingsSection } from './HoldingsSection.tsx'

export function DroneCard({ drone }: { drone: DroneView }) {
  const conn = useConnections((items) => items.find((c) => c.id === drone.connectionId)).data
  const qc = useQueryClient()
  const stop = useAction(async (mode: 'drain' | 'now') => {
    const r = await call('drones.stop', { id: drone.id, mode })
    await qc.invalidateQueries({ queryKey: dronesQuery().queryKey })
    return r
  })
  // Pause/resume this drone's claiming (Drone.pause/resume); its tasks in hand run on.
  const pause = useAction(async (paused: boolean) => {
    await call(paused ? 'drones.pause' : 'drones.resume', { id: drone.id })
    await qc.invalidateQueries({ queryKey: dronesQuery().queryKey })
  })
  const live = drone.state === 'running' || drone.state === 'starting'
  return (
    <section className="panel drone" data-testid={`drone-${drone.name}`} data-state={drone.state}>
      <header className="drone-head">
        <h3>{drone.name}</h3>
        <span className={`state state-${drone.state}`} data-testid="drone-state">
          {drone.state}
        </span>
        <span className={`tag ${drone.signals === 'push' ? 'good' : 'warn'}`} title={drone.signals === 'push' ? 'wake-ups are pushed by the queue' : 'wake-ups degraded: the drone polls'} data-testid="drone-signals">
          {drone.signals}
        </span>
        <span className="muted">
          on <span title={conn?.display}>{conn?.name ?? drone.connectionId}</span> · started{' '}
          <span data-testid="drone-started" data-at={drone.startedAt}>
            {fmtTime(drone.startedAt)}
          </span>
          {drone.stoppedAt && ` · stopped ${fmtTime(drone.stoppedAt)}`}
        </span>
        <div className="spacer" />
        {drone.stoppedAt && (
          <button type="button" className="btn small ghost" onClick={() => void call('drones.dismiss', { id: drone.id }).then(() => qc.invalidateQueries({ queryKey: dronesQuery().queryKey }))} data-testid="drone-dismiss" title="Remove this stopped drone from the list">
            Dismiss
          </button>
        )}
        {drone.paused && (
          <span className="tag warn" data-testid="drone-paused" title="claiming paused: tasks in hand still run">
            paused
          </span>
        )}
        {live && (
          <>
            <button type="button" className="btn small" disabled={pause.busy} onClick={() => void pause.run(!drone.paused)} data-testid="drone-pause-toggle" title={drone.paused ? 'Claim tasks again' : 'Stop claiming; tasks in hand finish'}>
              {drone.paused ? 'Resume' : 'Pause'}
            </button>
            <button type="button" className="btn small" disabled={stop.busy} onClick={() => void stop.run('drain')} data-testid="drone-drain" title="Finish running tasks, hand back the rest, then stop">
              {stop.busy ? 'Stopping…' : 'Stop (drain)'}
            </button>
            <button type="button" className="btn small danger" disabled={stop.busy} onClick={() => void stop.run('now')} data-testid="drone-stop-now" title="Hand back everything now; running tasks are interrupted and retried">
              Stop now
            </button>
          </>
        )}
      </header>
      {drone.error && <ErrorBox error={{ code: 'internal', message: drone.error }} testId="drone-error" />}
      <ErrorBox error={stop.error} what="Stop failed" testId="drone-stop-error" />
      <ErrorBox error={pause.error} what="Pause failed" testId="drone-pause-error" />
      <table className="table compact">
        <thead>
          <tr>
            <th>Type</th>
            <th className="num">Capacity</th>
            <th className="num">Buffered</th>
            <th className="num">Running</th>
            <th className="num">Done</th>
            <th className="num">Failed</th>
          </tr>
        </thead>
        <tbody>
          {drone.types.map((t) => (
            <tr key={t.type} data-testid={`drone-type-${t.type}`}>
              <td className="mono">{t.type}</td>
              <td className="num">{t.capacity}</td>
              <td className="num">
                <Meter value={t.buffered} max={Math.max(1, t.capacity)} />
                {t.buffered}
              </td>
              <td className="num">{t.running}</td>
              <td className="num" data-testid="drone-type-done">
                {t.done}
              </td>
              <td className={`num${t.failed ? ' bad-text' : ''}`}>{t.failed}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="kv">
        <span>leases held</span>
        <strong data-testid="drone-leases-held">{drone.leases.held}</strong>
        <span>lost</span>
        <strong className={drone.leases.lost ? 'bad-text' : ''}>{drone.leases.lost}</strong>
        <span>last extended</span>
        <strong>{fmtAgo(drone.leases.lastExtendAt)}</strong>
        <span>processes</span>
        <strong>{drone.processes.length}</strong>
      </div>
      {live && <HoldingsSection source="local" droneId={drone.id} name={drone.name} connectionId={drone.connectionId} inHand={drone.leases.held} />}
    </section>
  )
}

function Meter({ value, max }: { value: number; max: number }) {
  return (
    <span className="meter" aria-hidden>
      <span className="meter-fill" style={{ width: `${Math.min(100, (value / max) * 100)}%` }} />
    </span>
  )
}
