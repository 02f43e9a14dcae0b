import type { ReactNode } from 'react'
import type { DroneView, ApiResults } from '../../../../api/contract.ts'
import { fmtCount, fmtRate } from '../../lib/format.ts'
import { byDrone } from '../../stores/flow.ts'

/** Rates are averaged over this many whole seconds: smooth enough to read, quick enough to follow. */
export const RATE_WINDOW_S = 5

type Stats = ApiResults['queue.stats']

function sumState(stats: Stats | undefined, state: 'queued' | 'running' | 'failed'): number | null {
  if (!stats) return null
  let n = 0
  for (const c of Object.values(stats.types)) n += c[state]
  return n
}

function Edge({ label, rate, total, bad, testId }: { label: string; rate: number; total?: number; bad?: boolean; testId: string }) {
  return (
    <div className={`edge${bad && (rate > 0 || (total ?? 0) > 0) ? ' bad' : ''}${rate > 0 ? ' moving' : ''}`} data-testid={testId} data-rate={rate.toFixed(2)}>
      <span className="edge-label">{label}</span>
      <span className="edge-rate">{fmtRate(rate)}</span>
      {total !== undefined && <span className="edge-total">{fmtCount(total)} total</span>}
      <span className="edge-arrow" aria-hidden />
    </div>
  )
}

function Node({ title, children, testId, tone }: { title: string; children: ReactNode; testId: string; tone?: 'bad' | 'good' }) {
  return (
    <div className={`node${tone ? ` ${tone}` : ''}`} data-testid={testId}>
      <div className="node-title">{title}</div>
      <div className="node-body">{children}</div>
    </div>
  )
}

/** One row per drone: global queue → drone → local queue → worker processes → finished. */
export function DroneFlow({ drone, stats, connectionName, now }: { drone: DroneView; stats: Stats | undefined; connectionName: string; now: number }) {
  const keys = [drone.id]
  const r = (f: Parameters<typeof byDrone.rate>[0]) => byDrone.rate(f, RATE_WINDOW_S, now, keys)
  const t = (f: Parameters<typeof byDrone.total>[0]) => byDrone.total(f, keys)
  const buffered = drone.types.reduce((n, x) => n + x.buffered, 0)
  const capacity = drone.types.reduce((n, x) => n + x.capacity, 0)
  const running = drone.types.reduce((n, x) => n + x.running, 0)
  const busy = drone.processes.filter((p) => p.state === 'busy').length
  const crashed = drone.processes.filter((p) => p.state === 'crashed').length
  const failedRate = r('failed')
  const queued = sumState(stats, 'queued')
  return (
    <div className="flow-row" data-testid={`flow-drone-${drone.name}`}>
      <Node title="Global queue" testId="flow-global">
        <div className="mono ellipsis muted">{connectionName}</div>
        <div>
          <strong data-testid="flow-global-queued">{queued === null ? '…' : fmtCount(queued)}</strong> queued
        </div>
        <div>
          <strong>{fmtCount(sumState(stats, 'running') ?? 0)}</strong> running
        </div>
      </Node>
      <Edge label="claimed" rate={r('claimed')} total={t('claimed')} testId="flow-edge-claimed" />
      <Node title={`Drone ${drone.name}`} testId="flow-node-drone" tone={drone.state === 'failed' ? 'bad' : undefined}>
        <div>
          <span className={`state state-${drone.state}`}>{drone.state}</span> · {drone.signals}
        </div>
        <div>
          leases <strong>{drone.leases.held}</strong>
          {drone.leases.lost > 0 && <span className="bad-text"> · {drone.leases.lost} lost</span>}
        </div>
      </Node>
      <Edge label="buffered" rate={r('claimed') - r('handedBack')} testId="flow-edge-buffered" />
      <Node title="Local queue" testId="flow-node-local">
        <div>
          <strong data-testid="flow-local-buffered">{buffered}</strong> / {capacity} buffered
        </div>
        <div className="meter wide" aria-hidden>
          <span className="meter-fill" style={{ width: `${capacity ? Math.min(100, (buffered / capacity) * 100) : 0}%` }} />
        </div>
      </Node>
      <Edge label="dispatched" rate={r('started')} total={t('started')} testId="flow-edge-dispatched" />
      <Node title="Worker processes" testId="flow-node-workers" tone={crashed ? 'bad' : undefined}>
        <div>
          <strong>{busy}</strong> busy of {drone.processes.length}
          {crashed > 0 && <span className="bad-text"> · {crashed} crashed</span>}
        </div>
        <div>
          <strong>{running}</strong> running
        </div>
      </Node>
      <div className="edge-pair">
        <Edge label="succeeded" rate={r('succeeded')} total={t('succeeded')} testId="flow-edge-succeeded" />
        <Edge label="failed" rate={failedRate} total={t('failed')} bad testId="flow-edge-failed" />
      </div>
      <Node title="Finished" testId="flow-node-finished" tone={failedRate > 0 ? 'bad' : undefined}>
        <div>
          <strong data-testid="flow-succeeded-total">{fmtCount(t('succeeded'))}</strong> succeeded
        </div>
        <div className={t('failed') ? 'bad-text' : ''}>
          <strong data-testid="flow-failed-total">{fmtCount(t('failed'))}</strong> failed · {fmtCount(t('retried'))} retried
        </div>
      </Node>
    </div>
  )
}
