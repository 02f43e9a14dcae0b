import { useQueries } from '@tanstack/react-query'
import { fmtCount } from '../../lib/format.ts'
import { unservedQuery, useConnectionList } from '../../data/queries.ts'

/**
 * The Flow view's warning, shown without being asked: a type with queued tasks and no live drone
 * serving it (src/debug/why.ts unservedTypes), per connection. Its tasks wait until a drone with
 * workers for the type starts.
 */
export function UnservedWarning() {
  const connections = useConnectionList()
  // One query per connection; a connection that cannot be read says so in its own views, the warning skips it (its data is dropped on error).
  const unserved = useQueries({ queries: connections.map((c) => unservedQuery(c.id)) })
  const rows = connections.flatMap((c, i) => (unserved[i]?.isError ? [] : (unserved[i]?.data ?? [])).map((u) => ({ ...u, connection: c.name })))
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
