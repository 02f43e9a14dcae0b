import { useQueries } from '@tanstack/react-query'
import type { ApiResults } from '../../../../api/contract.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { fmtCount, fmtDuration, fmtRate, fmtTime, shortId } from '../../lib/format.ts'
import { byType, recent } from '../../stores/flow.ts'
import { statsQuery, useConnectionList, useDroneList } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { FlowCharts } from './FlowCharts.tsx'
import { PostbackMap } from './PostbackMap.tsx'
import { UnservedWarning } from './UnservedWarning.tsx'
import { DroneFlow, RATE_WINDOW_S } from './FlowDiagram.tsx'
import { useFlowTick } from './useFlowTick.ts'

type Stats = ApiResults['queue.stats']

export function FlowView() {
  const drones = useDroneList()
  const connections = useConnectionList()
  const openTask = useUi((s) => s.openTask)
  const fast = useFlowTick(250)
  const slow = useFlowTick(1000)
  const live = drones.filter((d) => d.state !== 'stopped')
  const connIds = [...new Set(live.map((d) => d.connectionId))]
  // One stats query per queue a live drone works on (shared with Cluster's, same key); a failed read keeps the last counts.
  const statsList = useQueries({ queries: connIds.map((id) => statsQuery(id)) })
  const stats: Record<string, Stats | undefined> = Object.fromEntries(connIds.map((id, i) => [id, statsList[i]?.data]))

  const now = Date.now()
  void fast
  const types = byType.keys()
  return (
    <div className="stack">
      <div className="view-head">
        <h1>Flow</h1>
        <p className="muted">Live: rates over the last {RATE_WINDOW_S} s; totals since this console opened.</p>
      </div>
      <UnservedWarning />
      {live.length === 0 ? (
        <EmptyState title="Nothing is flowing: no drone is running" testId="flow-empty">
          Start one on <strong>Drones</strong> (g d). Tasks enqueued meanwhile (g e) wait in the global queue.
        </EmptyState>
      ) : (
        <div className="flow" data-testid="flow-diagram">
          {live.map((d) => (
            <DroneFlow key={d.id} drone={d} stats={stats[d.connectionId]} connectionName={connections.find((c) => c.id === d.connectionId)?.name ?? d.connectionId} now={now} />
          ))}
        </div>
      )}
      {types.length > 0 && (
        <table className="table compact fixed" data-testid="flow-types">
          <thead>
            <tr>
              <th>Type</th>
              <th className="num">Claimed</th>
              <th className="num">Started</th>
              <th className="num">Succeeded</th>
              <th className="num">Failed</th>
              <th className="num">Retried</th>
              <th className="num">Total done</th>
              <th className="num">Total failed</th>
            </tr>
          </thead>
          <tbody>
            {types.map((t) => (
              <tr key={t} data-testid={`flow-type-${t}`}>
                <td className="mono">{t}</td>
                <td className="num">{fmtRate(byType.rate('claimed', RATE_WINDOW_S, now, [t]))}</td>
                <td className="num">{fmtRate(byType.rate('started', RATE_WINDOW_S, now, [t]))}</td>
                <td className="num">{fmtRate(byType.rate('succeeded', RATE_WINDOW_S, now, [t]))}</td>
                <td className={`num${byType.rate('failed', RATE_WINDOW_S, now, [t]) > 0 ? ' bad-text' : ''}`}>{fmtRate(byType.rate('failed', RATE_WINDOW_S, now, [t]))}</td>
                <td className="num">{fmtRate(byType.rate('retried', RATE_WINDOW_S, now, [t]))}</td>
                <td className="num" data-testid="flow-type-succeeded-total">
                  {fmtCount(byType.total('succeeded', [t]))}
                </td>
                <td className={`num${byType.total('failed', [t]) ? ' bad-text' : ''}`} data-testid="flow-type-failed-total">
                  {fmtCount(byType.total('failed', [t]))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FlowCharts tick={slow} />
      {live.length > 0 && <PostbackMap />}
      <div className="panel">
        <h3>Recent events</h3>
        <ol className="event-log mono" data-testid="flow-events">
          {recent.length === 0 && <li className="muted">No events yet: they appear here as drones claim and finish tasks.</li>}
          {recent
            .slice(-12)
            .reverse()
            .map((e, i) => (
              <li key={`${e.at}-${i}`} className={e.kind === 'failed' || e.kind === 'lease-lost' || e.kind === 'worker-error' ? 'bad-text' : ''}>
                <span className="muted">{fmtTime(new Date(e.at).toISOString())}</span> <span className="ev-kind">{e.kind}</span>{' '}
                {'taskId' in e ? (
                  <button type="button" className="link mono" onClick={() => openTask(e.taskId, drones.find((d) => d.id === e.droneId)?.connectionId)}>
                    {e.type} {shortId(e.taskId)}
                  </button>
                ) : (
                  <span>{'type' in e ? e.type : ''}</span>
                )}
                {'durationMs' in e && e.durationMs !== undefined && (
                  <span className="muted" data-testid="flow-event-duration">
                    {' '}
                    {fmtDuration(e.kind === 'started' ? 'wait' : 'run', e.durationMs)}
                  </span>
                )}
                {'error' in e && e.error && <span className="bad-text"> {e.error.message}</span>}
              </li>
            ))}
        </ol>
      </div>
    </div>
  )
}
