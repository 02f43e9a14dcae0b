import { useState } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useInterval } from '../../components/hooks.ts'
import { readInfo } from '../../lib/drone-record.ts'
import { fmtAgo } from '../../lib/format.ts'
import { useConnections } from '../../stores/resources.ts'
import { useUi } from '../../stores/ui.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'
import { HoldingsSection } from './HoldingsSection.tsx'

const POLL_MS = 5000

/**
 * Drones on the selected queue that this console does not run (another machine, `swarmage drone`,
 * another console): the registry tells they exist; what they hold is read from the global queue.
 */
export function RemoteDrones({ localIds }: { localIds: ReadonlySet<string> }) {
  const connectionId = useUi((s) => s.connectionId)
  const conn = useConnections((s) => s.items.find((c) => c.id === connectionId))
  const [drones, setDrones] = useState<ApiResults['queue.drones']>([])
  const [error, setError] = useState<ApiError | null>(null)
  useInterval(
    () => {
      if (!connectionId) return
      call('queue.drones', { connectionId }).then(
        (d) => {
          setDrones(d)
          setError(null)
        },
        (err) => setError(toApiError(err)),
      )
    },
    POLL_MS,
    !!connectionId,
  )
  const remote = drones.filter((d) => !localIds.has(d.id))
  if (!connectionId || (remote.length === 0 && !error)) return null
  return (
    <>
      <h2 className="section">
        Other drones on <span title={conn?.display}>{conn?.name ?? connectionId}</span>
      </h2>
      <p className="muted">Run elsewhere (another machine, the CLI, another console): what they hold is read from the global queue.</p>
      <ErrorBox error={error} what="Could not list the queue's drones" testId="remote-drones-error" />
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
