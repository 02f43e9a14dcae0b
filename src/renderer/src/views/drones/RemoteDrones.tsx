import { useQuery } from '@tanstack/react-query'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { queueDronesQuery } from '../../data/holdings-queries.ts'
import { useConnections } from '../../data/queries.ts'
import { readInfo } from '../../lib/drone-record.ts'
import { fmtAgo } from '../../lib/format.ts'
import { useUi } from '../../stores/ui.ts'
import { HoldingsSection } from './HoldingsSection.tsx'

/**
 * Drones on the selected queue that this console does not run (another machine, `swarmage drone`,
 * another console): the registry tells they exist; what they hold is read from the global queue.
 */
export function RemoteDrones({ localIds }: { localIds: ReadonlySet<string> }) {
  const connectionId = useUi((s) => s.connectionId)
  const conn = useConnections((items) => items.find((c) => c.id === connectionId)).data
  const q = useQuery({ ...queueDronesQuery(connectionId ?? ''), enabled: !!connectionId })
  const remote = (q.data ?? []).filter((d) => !localIds.has(d.id))
  if (!connectionId || (remote.length === 0 && !q.error)) return null
  return (
    <>
      <h2 className="section">
        Other drones on <span title={conn?.display}>{conn?.name ?? connectionId}</span>
      </h2>
      <p className="muted">Run elsewhere (another machine, the CLI, another console): what they hold is read from the global queue.</p>
      <ErrorBox error={q.error} what="Could not list the queue's drones" testId="remote-drones-error" />
      {remote.map((d) => {
        const info = readInfo(d.info)
        return (
          <section key={d.id} className="panel drone" data-testid={`remote-drone-${d.name}`}>
            <header className="drone-head">
              <h3>{d.name}</h3>
              {info.state && <span className={`state state-${info.state}`}>{info.state}</span>}
              <span className="muted">
                {d.host} · pid {d.pid} · last heartbeat {fmtAgo(d.lastSeen)}
              </span>
            </header>
            <HoldingsSection source="global" droneId={d.id} name={d.name} connectionId={connectionId} {...(info.inHand === undefined ? {} : { inHand: info.inHand })} />
          </section>
        )
      })}
    </>
  )
}
