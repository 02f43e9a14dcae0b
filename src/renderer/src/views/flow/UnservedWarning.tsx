import { useState } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { useInterval } from '../../components/hooks.ts'
import { fmtCount } from '../../lib/format.ts'
import { useConnectionList } from '../../data/queries.ts'
import { call } from '../../transport/index.ts'

type Unserved = ApiResults['queue.unserved']

/** Asked of every connection this often: a cheap stats query and the drone registry. */
const UNSERVED_POLL_MS = 3000

/**
 * The Flow view's warning, shown without being asked: a type with queued tasks and no live drone
 * serving it (src/debug/why.ts unservedTypes), per connection. Its tasks wait until a drone with
 * workers for the type starts.
 */
export function UnservedWarning() {
  const connections = useConnectionList()
  const [byConnection, setByConnection] = useState<Record<string, Unserved>>({})
  useInterval(
    () => {
      for (const c of connections) {
        call('queue.unserved', { connectionId: c.id }).then(
          (u) => setByConnection((cur) => ({ ...cur, [c.id]: u })),
          // A connection that cannot be read says so in its own views; the warning skips it.
          () => setByConnection((cur) => ({ ...cur, [c.id]: [] })),
        )
      }
    },
    UNSERVED_POLL_MS,
    connections.length > 0,
  )
  const rows = connections.flatMap((c) => (byConnection[c.id] ?? []).map((u) => ({ ...u, connection: c.name })))
  if (rows.length === 0) return null
  return (
    <div className="notice warn" role="status" data-testid="flow-unserved">
      {rows.map((r) => (
        <div key={`${r.connection}-${r.type}`} data-testid={`flow-unserved-${r.type}`}>
          <strong className="mono">{r.type}</strong>: {fmtCount(r.queued)} queued on {r.connection}, and no live drone serves this type: start a drone with workers for it.
        </div>
      ))}
    </div>
  )
}
