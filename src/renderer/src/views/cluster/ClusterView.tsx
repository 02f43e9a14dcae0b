import { useQuery } from '@tanstack/react-query'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { STALE_MS, readInfo } from '../../lib/drone-record.ts'
import { fmtAgo, fmtCount, fmtTime } from '../../lib/format.ts'
import { STATS_POLL_MS as POLL_MS, queueDronesQuery, statsQuery, useConnections } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { TASK_STATES } from '../../../../core/task.ts'

/** Every drone on the selected queue (any machine), and counts per type and state. */
export function ClusterView() {
  const connectionId = useUi((s) => s.connectionId)
  const conn = useConnections((items) => items.find((c) => c.id === connectionId)).data
  const dronesQ = useQuery({ ...queueDronesQuery(connectionId ?? ''), enabled: !!connectionId })
  const statsQ = useQuery({ ...statsQuery(connectionId ?? ''), enabled: !!connectionId })
  const drones = dronesQ.data ?? null
  const stats = statsQ.data ?? null
  const error = dronesQ.error ?? statsQ.error

  if (!connectionId) {
    return (
      <EmptyState title="No queue selected" testId="cluster-no-connection">
        Add a connection on <strong>Connections</strong> (g c) first.
      </EmptyState>
    )
  }
  const types = stats ? Object.keys(stats.types).sort() : []
  const now = Date.now()
  return (
    <div className="stack">
      <div className="view-head">
        <h1>Cluster</h1>
        <p className="muted">
          Everything on <strong>{conn?.name}</strong> <span className="mono" title={conn?.display}>{conn?.target.summary}</span>, refreshed every {POLL_MS / 1000} s.
        </p>
      </div>
      <ErrorBox error={error} what="Could not read the queue" testId="cluster-error" />
      <h2 className="section">Drones</h2>
      {drones && drones.length === 0 ? (
        <EmptyState title="No drone has registered on this queue" testId="cluster-drones-empty">
          Start one on <strong>Drones</strong> (g d), or run <code>swarmage drone --queue …</code> on any machine.
        </EmptyState>
      ) : (
        <table className="table compact" data-testid="cluster-drones">
          <thead>
            <tr>
              <th>Name</th>
              <th>Host</th>
              <th className="num">PID</th>
              <th>Started</th>
              <th>Last heartbeat</th>
              <th>State</th>
              <th className="num">Tasks in hand</th>
            </tr>
          </thead>
          <tbody>
            {(drones ?? []).map((d) => {
              const stale = now - new Date(d.lastSeen).getTime() > STALE_MS
              const info = readInfo(d.info)
              return (
                <tr key={d.id} data-testid={`cluster-drone-${d.name}`} className={stale ? 'stale' : ''}>
                  <td>{d.name}</td>
                  <td>{d.host}</td>
                  <td className="num mono">{d.pid}</td>
                  <td data-testid="cluster-drone-started" data-at={d.startedAt}>
                    {fmtTime(d.startedAt)}
                  </td>
                  <td className={stale ? 'warn-text' : ''}>
                    {fmtAgo(d.lastSeen, now)}
                    {stale && ' (stale)'}
                  </td>
                  <td>
                    {info.state ? (
                      <span className={`state state-${info.state}`} data-testid="cluster-drone-state">
                        {info.state}
                      </span>
                    ) : (
                      '–'
                    )}
                    {info.signals && (
                      <span className={`tag ${info.signals === 'push' ? 'good' : 'warn'}`} data-testid="cluster-drone-signals">
                        {info.signals}
                      </span>
                    )}
                  </td>
                  <td className="num" data-testid="cluster-drone-in-hand">
                    {info.inHand ?? '–'}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <h2 className="section">Tasks by type and state</h2>
      {stats && types.length === 0 ? (
        <EmptyState title="This queue has no tasks" testId="cluster-stats-empty">
          Enqueue some on <strong>Enqueue</strong> (g e).
        </EmptyState>
      ) : (
        <table className="table compact fixed" data-testid="cluster-stats">
          <thead>
            <tr>
              <th>Type</th>
              {TASK_STATES.map((s) => (
                <th key={s} className="num">
                  {s}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {types.map((t) => (
              <tr key={t} data-testid={`cluster-type-${t}`}>
                <td className="mono">{t}</td>
                {TASK_STATES.map((s) => (
                  <td key={s} className={`num${s === 'failed' && stats!.types[t]![s] ? ' bad-text' : ''}`} data-testid={`cluster-${t}-${s}`}>
                    {fmtCount(stats!.types[t]![s])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
