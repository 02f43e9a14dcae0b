/**
 * What tells one queue connection from another (issue 16): host, database and schema for PostgreSQL,
 * the file for SQLite. Lists and menus show `summary`; the full address, password masked, is the
 * connection's `display` (a tooltip). The schema is the one the address will use (`?schema=`, else
 * the default), never the form's placeholder.
 */
import { basename } from 'node:path'
import { DEFAULT_SCHEMA, parseQueueAddress } from '../queue/address.ts'
import type { ConnectionTarget } from './contract.ts'

export function connectionTarget(address: string): ConnectionTarget {
  let parsed: ReturnType<typeof parseQueueAddress>
  try {
    parsed = parseQueueAddress(address)
  } catch {
    return { summary: '(invalid address)' }
  }
  if (parsed.kind === 'sqlite') return { path: parsed.path, summary: `sqlite ${basename(parsed.path)}` }
  if (parsed.kind !== 'postgres') return { summary: 'plug-in module' }
  const url = new URL(parsed.connectionString)
  const host = `${url.hostname}${url.port ? `:${url.port}` : ''}`
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres'
  const schema = parsed.schema || DEFAULT_SCHEMA
  return { host, database, schema, summary: `${host}/${database} · schema ${schema}` }
}
