import type { SqliteDatabase } from '../../core/sqlite-lib.ts'
import type { LeasedTasks } from '../driver.ts'
import { iso } from './rows.ts'

interface LeasedRow {
  id: string
  type: string
  attempts: number
  max_attempts: number
  started_at: number | null
  lease_expires_at: number
}

/**
 * A drone's running tasks (GlobalQueueDriver.taskListLeased), both reads in one read transaction so
 * the count and the rows agree. By the lease index: only running tasks are read, never the queue.
 */
export function readLeased(db: SqliteDatabase, params: { droneId: string; limit: number }): LeasedTasks {
  const where = `FROM tasks INDEXED BY tasks_rescue WHERE lease_expires_at IS NOT NULL AND state = 'running' AND claimed_by = ?`
  const rows = db.prepare(`SELECT id, type, attempts, max_attempts, started_at, lease_expires_at ${where} ORDER BY lease_expires_at LIMIT ?`)
  const count = db.prepare(`SELECT COUNT(*) ${where}`).pluck()
  return db.transaction((): LeasedTasks => {
    const list = rows.all(params.droneId, params.limit) as LeasedRow[]
    return {
      now: iso(Date.now()),
      total: count.get(params.droneId) as number,
      tasks: list.map((r) => ({
        id: r.id,
        type: r.type,
        attempts: r.attempts,
        maxAttempts: r.max_attempts,
        startedAt: r.started_at === null ? null : iso(r.started_at),
        leaseExpiresAt: iso(r.lease_expires_at),
      })),
    }
  })()
}
