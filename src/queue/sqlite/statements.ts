import { InputError } from '../../core/errors.ts'
import type { SqliteDatabase, SqlitePrepared as Stmt } from '../../core/sqlite-lib.ts'
import type { TaskListParams } from '../driver.ts'
import { prepareFlowStatements } from './flow.ts'
import { prepareScheduleStatements } from './schedules.ts'
import {
  TASK_COLUMNS,
  type AttemptRow,
  type ClaimRow,
  type DroneRow,
  type HeldRow,
  type LogRow,
  type TaskRow,
} from './rows.ts'


const HELD_COLUMNS = 'id, type, state, attempts, max_attempts, drone, started_at, key, lease_seq'

/**
 * Every SQL statement of the SQLite driver, named and prepared once per connection (preparing costs
 * more than running the short statements below). All values are bound, never spliced.
 */
export function prepareStatements(db: SqliteDatabase) {
  const p = <R = unknown>(sql: string): Stmt<R> => db.prepare(sql) as Stmt<R>
  return {
    insertTask: p(`INSERT INTO tasks (id, type, payload, state, priority, run_at, attempts, max_attempts, key, parent_id, grp, traceparent, created_at)
      VALUES (@id, @type, @payload, 'queued', @priority, @runAt, 0, @maxAttempts, @key, @parentId, @grp, @traceparent, @now)
      ON CONFLICT DO NOTHING`),
    liveKey: p<string>(`SELECT id FROM tasks WHERE key = ? AND state IN ('queued','running')`).pluck(),
    getTask: p<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`),
    held: p<HeldRow>(`SELECT ${HELD_COLUMNS} FROM tasks WHERE id = ? AND lease_seq = ? AND state = 'running'`),
    stateOf: p<HeldRow>(`SELECT ${HELD_COLUMNS} FROM tasks WHERE id = ?`),
    children: p<string>(`SELECT id FROM tasks WHERE parent_id = ? ORDER BY created_at, id`).pluck(),

    // The inner SELECT walks tasks_claim in claim order; RETURNING order is unspecified, so the driver sorts.
    claim: p<ClaimRow>(`UPDATE tasks SET state = 'running', attempts = attempts + 1, lease_seq = lease_seq + 1,
        claimed_by = @droneId, drone = @droneName, started_at = @now, lease_expires_at = @expires,
        worker_pid = NULL, finished_at = NULL
      WHERE id IN (SELECT id FROM tasks WHERE state = 'queued' AND type = @type AND run_at <= @now
                   ORDER BY priority DESC, run_at, created_at LIMIT @limit)
      RETURNING id, type, payload, attempts, max_attempts, parent_id, lease_seq, priority, run_at, created_at, traceparent`),
    // The hot completions fence and apply in one statement: no row returned means the lease was lost.
    // Positional parameters (result or error, now, workerPid, id, leaseSeq) on the per-task path: better-sqlite3
    // binds named ones by a property lookup each, ~1.4 µs more per 9-parameter row (docs/performance.md).
    succeed: p<HeldRow>(`UPDATE tasks SET state = 'succeeded', result = ?, finished_at = ?, lease_expires_at = NULL,
        claimed_by = NULL, worker_pid = ? WHERE id = ? AND lease_seq = ? AND state = 'running'
      RETURNING ${HELD_COLUMNS}`),
    failFenced: p<HeldRow>(`UPDATE tasks SET state = 'failed', error = ?, finished_at = ?, lease_expires_at = NULL,
        claimed_by = NULL, worker_pid = ? WHERE id = ? AND lease_seq = ? AND state = 'running'
      RETURNING ${HELD_COLUMNS}`),
    fail: p(`UPDATE tasks SET state = 'failed', error = @error, finished_at = @now, lease_expires_at = NULL,
        claimed_by = NULL, worker_pid = @workerPid WHERE id = @id`),
    requeue: p(`UPDATE tasks SET state = 'queued', run_at = @runAt, error = @error, lease_expires_at = NULL,
        claimed_by = NULL, drone = NULL, started_at = NULL, worker_pid = NULL WHERE id = @id`),
    handback: p(`UPDATE tasks SET state = 'queued', attempts = MAX(attempts - 1, 0), lease_expires_at = NULL,
        claimed_by = NULL, drone = NULL, started_at = NULL, worker_pid = NULL WHERE id = @id`),
    /**
     * One ended attempt, positional parameters in column order (task, lease_seq, attempt, drone, worker
     * pid, started, finished, outcome, error): better-sqlite3 binds a named parameter by a property
     * lookup, which cost a completion batch ~1.4 µs per row.
     */
    insertAttempt: p(`INSERT INTO task_attempts (task_id, lease_seq, attempt, drone, worker_pid, started_at, finished_at, outcome, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    leaseExtend: p(`UPDATE tasks SET lease_expires_at = @expires
      WHERE id = @id AND lease_seq = @leaseSeq AND state = 'running' AND lease_expires_at > @now`),
    // INDEXED BY: without ANALYZE statistics the planner prefers tasks_list_state (state = ?) and then
    // sorts or filters every running (or every finished) row; these partial indexes read only the due ones.
    rescuable: p<HeldRow>(`SELECT ${HELD_COLUMNS} FROM tasks INDEXED BY tasks_rescue
      WHERE state = 'running' AND lease_expires_at < @cutoff ORDER BY lease_expires_at LIMIT @limit`),
    cancel: p(`UPDATE tasks SET state = 'cancelled', finished_at = @now, lease_expires_at = NULL, claimed_by = NULL WHERE id = @id`),
    retry: p(`UPDATE tasks SET state = 'queued', attempts = 0, run_at = @now, result = NULL, finished_at = NULL, started_at = NULL,
        drone = NULL, claimed_by = NULL, lease_expires_at = NULL, worker_pid = NULL WHERE id = @id`),
    deleteTask: p(`DELETE FROM tasks WHERE id = ?`),
    deleteLogs: p(`DELETE FROM task_logs WHERE task_id = ?`),
    deleteAttempts: p(`DELETE FROM task_attempts WHERE task_id = ?`),

    insertLog: p(`INSERT INTO task_logs (task_id, attempt, level, stream, message, data, at) VALUES (@taskId, @attempt, @level, @stream, @message, @data, @at)`),
    listLogs: p<LogRow>(`SELECT task_id, attempt, level, stream, message, data, at FROM task_logs WHERE task_id = ? ORDER BY id DESC LIMIT ?`),
    listAttempts: p<AttemptRow>(
      `SELECT task_id, attempt, drone, worker_pid, started_at, finished_at, outcome, error FROM task_attempts WHERE task_id = ? ORDER BY lease_seq`,
    ),

    stats: p<{ type: string; state: string; n: number }>(`SELECT type, state, COUNT(*) AS n FROM tasks GROUP BY type, state`),

    droneUpsert: p(`INSERT INTO drones (id, name, host, pid, started_at, last_seen, info) VALUES (@id, @name, @host, @pid, @now, @now, @info)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, pid = excluded.pid,
        last_seen = excluded.last_seen, info = excluded.info`),
    droneRemove: p(`DELETE FROM drones WHERE id = ?`),
    droneList: p<DroneRow>(`SELECT id, name, host, pid, started_at, last_seen, info FROM drones WHERE last_seen >= ? ORDER BY name, started_at, id`),
    dronePrune: p(`DELETE FROM drones WHERE last_seen < ?`),

    leaseGet: p<{ holder: string; expires_at: number }>(`SELECT holder, expires_at FROM maintenance_lease WHERE name = 'maintenance'`),
    leaseSet: p(`INSERT INTO maintenance_lease (name, holder, expires_at) VALUES ('maintenance', @holder, @expires)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`),
    prunable: p<string>(`SELECT id FROM tasks INDEXED BY tasks_prune WHERE finished_at IS NOT NULL AND finished_at <= @cutoff
      AND state IN ('succeeded','failed','cancelled') LIMIT @limit`).pluck(),
    pruneTasks: p(`DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(?))`),
    pruneLogs: p(`DELETE FROM task_logs WHERE task_id IN (SELECT value FROM json_each(?))`),
    pruneAttempts: p(`DELETE FROM task_attempts WHERE task_id IN (SELECT value FROM json_each(?))`),

    settingGet: p<string>(`SELECT value FROM settings WHERE name = ?`).pluck(),
    settingSet: p(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`),

    signalInsert: p(`INSERT INTO signals (origin, kind, body, at) VALUES (?, ?, ?, ?)`),
    signalPrune: p(`DELETE FROM signals WHERE at < ?`),
    flow: prepareFlowStatements(db),
    schedules: prepareScheduleStatements(db),
  }
}

export type Statements = ReturnType<typeof prepareStatements>

/**
 * taskList/taskCount statements vary by which filters are given; each combination is prepared once
 * and cached by its shape (at most 2^5 variants).
 */
export class ListStatements {
  private readonly cache = new Map<string, Stmt>()
  constructor(private readonly db: SqliteDatabase) {}

  list(params: TaskListParams): { stmt: Stmt<TaskRow>; args: Record<string, unknown> } {
    const { where, args } = filters(params)
    if (params.before) {
      // A row value: SQLite seeks tasks_list* straight to the cursor (an OR form only ranges on created_at).
      where.push('(created_at, id) < (@beforeAt, @beforeId)')
      args.beforeAt = Date.parse(params.before.createdAt)
      if (Number.isNaN(args.beforeAt)) throw new InputError(`list cursor createdAt "${params.before.createdAt}" is not an ISO-8601 date`)
      args.beforeId = params.before.id
    }
    args.limit = params.limit
    const sql = `SELECT ${TASK_COLUMNS} FROM tasks ${whereClause(where)} ORDER BY created_at DESC, id DESC LIMIT @limit`
    return { stmt: this.get(sql) as Stmt<TaskRow>, args }
  }

  count(params: Omit<TaskListParams, 'limit' | 'before'> & { cap?: number }): { stmt: Stmt<number>; args: Record<string, unknown> } {
    const { where, args } = filters(params)
    const inner = `SELECT 1 FROM tasks ${whereClause(where)}${params.cap === undefined ? '' : ' LIMIT @cap'}`
    if (params.cap !== undefined) args.cap = params.cap
    return { stmt: this.get(`SELECT COUNT(*) FROM (${inner})`).pluck() as Stmt<number>, args }
  }

  private get(sql: string): Stmt {
    let stmt = this.cache.get(sql)
    if (!stmt) {
      stmt = this.db.prepare(sql) as Stmt
      this.cache.set(sql, stmt)
    }
    return stmt
  }
}

function whereClause(where: string[]): string {
  return where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
}

function filters(params: Omit<TaskListParams, 'limit' | 'before'>): { where: string[]; args: Record<string, unknown> } {
  const where: string[] = []
  const args: Record<string, unknown> = {}
  if (params.state !== undefined) {
    where.push('state = @state')
    args.state = params.state
  }
  if (params.type !== undefined) {
    where.push('type = @type')
    args.type = params.type
  }
  if (params.parentId !== undefined) {
    where.push('parent_id = @parentId')
    args.parentId = params.parentId
  }
  if (params.search !== undefined && params.search !== '') {
    // LIKE is case-insensitive for ASCII in SQLite; % and _ in the text are matched literally.
    where.push(`(payload LIKE @search ESCAPE '\\' OR error LIKE @search ESCAPE '\\')`)
    args.search = `%${params.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  }
  return { where, args }
}
