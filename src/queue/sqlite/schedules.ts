import type { SqliteDatabase, SqlitePrepared as Stmt } from '../../core/sqlite-lib.ts'
import type { OverlapPolicy, ScheduleSpec } from '../../schedules/definition.ts'
import type { ScheduleRecord } from '../driver.ts'
import { iso } from './rows.ts'

export interface ScheduleRow {
  name: string
  cron: string
  timezone: string
  type: string
  payload: string
  priority: number
  max_attempts: number
  catch_up_ms: number
  overlap: OverlapPolicy
  paused: number
  next_tick: number | null
  last_tick: number | null
  last_task_id: string | null
  revision: number
  created_at: number
  updated_at: number
}

/** The schedule statements of the SQLite driver (docs/architecture.md#schedules); times in ms. */
export function prepareScheduleStatements(db: SqliteDatabase) {
  const p = <R = unknown>(sql: string): Stmt<R> => db.prepare(sql) as Stmt<R>
  return {
    get: p<ScheduleRow>(`SELECT * FROM schedules WHERE name = ?`),
    list: p<ScheduleRow>(`SELECT * FROM schedules ORDER BY name`),
    // An unchanged timeline (cron and zone) keeps next_tick: drones re-applying the same config on
    // start must not drop a tick that is due but not yet enqueued.
    upsert: p(`INSERT INTO schedules (name, cron, timezone, type, payload, priority, max_attempts, catch_up_ms, overlap, created_at, updated_at)
      VALUES (@name, @cron, @timezone, @type, @payload, @priority, @maxAttempts, @catchUpMs, @overlap, @now, @now)
      ON CONFLICT (name) DO UPDATE SET
        next_tick = CASE WHEN schedules.cron = excluded.cron AND schedules.timezone = excluded.timezone THEN schedules.next_tick END,
        cron = excluded.cron, timezone = excluded.timezone, type = excluded.type, payload = excluded.payload,
        priority = excluded.priority, max_attempts = excluded.max_attempts, catch_up_ms = excluded.catch_up_ms,
        overlap = excluded.overlap, revision = schedules.revision + 1, updated_at = excluded.updated_at`),
    remove: p(`DELETE FROM schedules WHERE name = ?`),
    setPaused: p(`UPDATE schedules SET paused = @paused, next_tick = CASE WHEN @paused = 1 THEN next_tick END,
      revision = revision + 1, updated_at = @now WHERE name = @name`),
    // The compare-and-set: @revision NULL means "whatever it is" (run now).
    advance: p(`UPDATE schedules SET next_tick = CASE WHEN @setNext = 1 THEN @nextTick ELSE next_tick END,
      revision = revision + 1, updated_at = @now WHERE name = @name AND (@revision IS NULL OR revision = @revision)`),
    lastRun: p(`UPDATE schedules SET last_tick = @lastTick, last_task_id = @taskId WHERE name = @name`),
  }
}

export function toScheduleRecord(r: ScheduleRow): ScheduleRecord {
  return {
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    type: r.type,
    payload: JSON.parse(r.payload) as unknown,
    priority: r.priority,
    maxAttempts: r.max_attempts,
    catchUpMs: r.catch_up_ms,
    overlap: r.overlap,
    paused: r.paused === 1,
    nextTick: r.next_tick === null ? null : iso(r.next_tick),
    lastTick: r.last_tick === null ? null : iso(r.last_tick),
    lastTaskId: r.last_task_id,
    revision: r.revision,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  }
}

/** Inside the driver's write transaction: the schedule as stored after the upsert. */
export function upsertSchedule(st: ScheduleStatements, spec: ScheduleSpec): ScheduleRecord {
  const { payloadJson, ...rest } = spec
  st.upsert.run({ ...rest, payload: payloadJson, now: Date.now() })
  return toScheduleRecord(st.get.get(spec.name)!)
}

/** Inside the driver's write transaction: null when no schedule has that name. */
export function setSchedulePaused(st: ScheduleStatements, name: string, paused: boolean): ScheduleRecord | null {
  if (st.setPaused.run({ name, paused: paused ? 1 : 0, now: Date.now() }).changes === 0) return null
  return toScheduleRecord(st.get.get(name)!)
}

type ScheduleStatements = ReturnType<typeof prepareScheduleStatements>
