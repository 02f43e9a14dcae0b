import type { SqliteDatabase, SqlitePrepared as Stmt } from '../../core/sqlite-lib.ts'
import { WHY_AHEAD_CAP, type TaskWhyFacts } from '../driver.ts'
import { toTypeSettings, type FlowRow } from './flow.ts'
import { iso, toTask, TASK_COLUMNS, type TaskRow } from './rows.ts'

type WhyRow = TaskRow & { claimed_by: string | null; lease_expires_at: number | null }

/** The reads behind `swarmage why` (src/debug/why.ts): all by index, none scans the queue. */
export function prepareWhyStatements(db: SqliteDatabase) {
  const p = <R = unknown>(sql: string): Stmt<R> => db.prepare(sql) as Stmt<R>
  return {
    task: p<WhyRow>(`SELECT ${TASK_COLUMNS}, claimed_by, lease_expires_at FROM tasks WHERE id = ?`),
    // The claim's order (tasks_claim: type, priority DESC, run_at, created_at), counted up to this task.
    ahead: p<number>(`SELECT COUNT(*) FROM (SELECT 1 FROM tasks INDEXED BY tasks_claim WHERE state = 'queued' AND type = @type AND run_at <= @now AND id <> @id
      AND (priority > @priority OR (priority = @priority AND (run_at < @runAt OR (run_at = @runAt AND created_at < @createdAt))))
      LIMIT ${WHY_AHEAD_CAP + 1})`).pluck(),
    running: p<number>(`SELECT COUNT(*) FROM tasks INDEXED BY tasks_rescue WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = ?`).pluck(),
    groupRunning: p<number>(`SELECT COUNT(*) FROM tasks INDEXED BY tasks_rescue
      WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = ? AND grp = ?`).pluck(),
    starts: p<number>(`SELECT COUNT(*) FROM task_starts WHERE type = ? AND grp = ? AND at > ?`).pluck(),
    settings: p<FlowRow>(`SELECT * FROM type_settings WHERE type = ?`),
  }
}

export type WhyStatements = ReturnType<typeof prepareWhyStatements>

/** Reads the facts in one read transaction, so the counts and the task agree. */
export function readWhyFacts(db: SqliteDatabase, w: WhyStatements, id: string): TaskWhyFacts | null {
  return db.transaction((): TaskWhyFacts | null => {
    const row = w.task.get(id)
    if (!row) return null
    const now = Date.now()
    const s = w.settings.get(row.type) ?? null
    const grp = row.grp
    return {
      task: toTask(row),
      now: iso(now),
      claimedBy: row.claimed_by,
      leaseExpiresAt: row.lease_expires_at === null ? null : iso(row.lease_expires_at),
      ahead: w.ahead.get({ type: row.type, now, id, priority: row.priority, runAt: row.run_at, createdAt: row.created_at })!,
      running: w.running.get(row.type)!,
      settings: s ? toTypeSettings(s) : null,
      rateStarts: s?.rate_ms != null ? w.starts.get(row.type, '', now - s.rate_ms)! : null,
      groupRunning: grp === null ? null : w.groupRunning.get(row.type, grp)!,
      groupRateStarts: grp !== null && s?.group_rate_ms != null ? w.starts.get(row.type, grp, now - s.group_rate_ms)! : null,
    }
  })()
}
