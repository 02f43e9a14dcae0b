import type { LeasedTasks } from '../driver.ts'
import { quoteIdent } from './ident.ts'
import type { Statement } from './sql.ts'

export interface LeasedRow {
  id: string | null
  type: string | null
  attempts: number | null
  max_attempts: number | null
  started_at: Date | null
  lease_expires_at: Date | null
  total: number
  now: Date
}

/**
 * A drone's running tasks (GlobalQueueDriver.taskListLeased) with their count, in one statement (one
 * snapshot, the database clock). By the lease index: only running tasks are read, never the queue.
 * A drone holding nothing still yields one row (null task columns) carrying `now` and `total` 0.
 */
export function leasedStatement(schema: string): Statement {
  const T = `${quoteIdent(schema)}.tasks`
  const held = `FROM ${T} WHERE lease_expires_at IS NOT NULL AND state = 'running' AND claimed_by = $1`
  return {
    name: 'swarmage_task_leased',
    text: `WITH c AS (SELECT count(*)::int AS total ${held}),
      l AS (SELECT id, type, attempts, max_attempts, started_at, lease_expires_at ${held} ORDER BY lease_expires_at LIMIT $2)
      SELECT l.*, c.total, now() AS now FROM c LEFT JOIN l ON true`,
  }
}

export function toLeased(rows: LeasedRow[]): LeasedTasks {
  const first = rows[0]
  return {
    now: (first?.now ?? new Date()).toISOString(),
    total: first?.total ?? 0,
    tasks: rows
      .filter((r) => r.id !== null)
      .map((r) => ({
        id: r.id!,
        type: r.type!,
        attempts: r.attempts!,
        maxAttempts: r.max_attempts!,
        startedAt: r.started_at?.toISOString() ?? null,
        leaseExpiresAt: r.lease_expires_at!.toISOString(),
      })),
  }
}
