import type { TaskInsert } from '../../core/task.ts'
import type { OverlapPolicy, ScheduleSpec } from '../../schedules/definition.ts'
import type { ScheduleFire, ScheduleRecord } from '../driver.ts'
import { limitIdleInTransaction } from './flow.ts'
import { quoteIdent } from './ident.ts'
import type { Exec } from './insert.ts'
import type { Statement } from './sql.ts'

interface ScheduleRow {
  name: string
  cron: string
  timezone: string
  type: string
  payload: unknown
  priority: number
  max_attempts: number
  catch_up_ms: string
  overlap: OverlapPolicy
  paused: boolean
  next_tick: Date | null
  last_tick: Date | null
  last_task_id: string | null
  revision: string
  created_at: Date
  updated_at: Date
}

const COLUMNS = `name, cron, timezone, type, payload, priority, max_attempts, catch_up_ms, overlap, paused,
  next_tick, last_tick, last_task_id, revision, created_at, updated_at`

/** The schedule statements of the PostgreSQL driver (docs/architecture.md#schedules). */
export function scheduleStatements(schema: string) {
  const T = `${quoteIdent(schema)}.schedules`
  const st = (name: string, text: string): Statement => ({ name: `swarmage_schedule_${name}`, text })
  return {
    get: st('get', `SELECT ${COLUMNS} FROM ${T} WHERE name = $1`),
    list: st('list', `SELECT ${COLUMNS} FROM ${T} ORDER BY name`),
    // An unchanged timeline (cron and zone) keeps next_tick: drones re-applying the same config on
    // start must not drop a tick that is due but not yet enqueued.
    upsert: st(
      'upsert',
      `INSERT INTO ${T} AS s (name, cron, timezone, type, payload, priority, max_attempts, catch_up_ms, overlap)
       VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8, $9)
       ON CONFLICT (name) DO UPDATE SET
         next_tick = CASE WHEN s.cron = excluded.cron AND s.timezone = excluded.timezone THEN s.next_tick END,
         cron = excluded.cron, timezone = excluded.timezone, type = excluded.type, payload = excluded.payload,
         priority = excluded.priority, max_attempts = excluded.max_attempts, catch_up_ms = excluded.catch_up_ms,
         overlap = excluded.overlap, revision = s.revision + 1, updated_at = now()
       RETURNING ${COLUMNS}`,
    ),
    remove: st('remove', `DELETE FROM ${T} WHERE name = $1`),
    setPaused: st(
      'set_paused',
      `UPDATE ${T} SET paused = $2, next_tick = CASE WHEN $2 THEN next_tick END, revision = revision + 1, updated_at = now()
       WHERE name = $1 RETURNING ${COLUMNS}`,
    ),
    // The compare-and-set: $2 NULL means "whatever it is" (run now). The row lock it takes holds off
    // a concurrent fire until this transaction ends; that one then finds the revision moved.
    advance: st(
      'advance',
      `UPDATE ${T} SET next_tick = CASE WHEN $3 THEN $4::timestamptz ELSE next_tick END, revision = revision + 1, updated_at = now()
       WHERE name = $1 AND ($2::bigint IS NULL OR revision = $2::bigint) RETURNING name`,
    ),
    lastRun: st('last_run', `UPDATE ${T} SET last_tick = $2, last_task_id = $3 WHERE name = $1`),
  }
}

export type ScheduleStatements = ReturnType<typeof scheduleStatements>

export function toScheduleRecord(r: ScheduleRow): ScheduleRecord {
  return {
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    type: r.type,
    payload: r.payload,
    priority: r.priority,
    maxAttempts: r.max_attempts,
    catchUpMs: Number(r.catch_up_ms),
    overlap: r.overlap,
    paused: r.paused,
    nextTick: r.next_tick?.toISOString() ?? null,
    lastTick: r.last_tick?.toISOString() ?? null,
    lastTaskId: r.last_task_id,
    revision: Number(r.revision),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }
}

/** The driver methods, over its pool (`exec`) and its transactions; `insert` is the driver's task insert. */
export class PgSchedules {
  constructor(
    private readonly sql: ScheduleStatements,
    private readonly exec: Exec,
    private readonly transaction: <T>(body: (exec: Exec) => Promise<T>) => Promise<T>,
    private readonly insert: (exec: Exec, tasks: TaskInsert[]) => Promise<string[]>,
  ) {}

  async upsert(spec: ScheduleSpec): Promise<ScheduleRecord> {
    const [row] = await this.exec<ScheduleRow>(this.sql.upsert, [
      spec.name,
      spec.cron,
      spec.timezone,
      spec.type,
      spec.payloadJson,
      spec.priority,
      spec.maxAttempts,
      spec.catchUpMs,
      spec.overlap,
    ])
    return toScheduleRecord(row!)
  }

  async get(name: string): Promise<ScheduleRecord | null> {
    const [row] = await this.exec<ScheduleRow>(this.sql.get, [name])
    return row ? toScheduleRecord(row) : null
  }

  async list(): Promise<ScheduleRecord[]> {
    return (await this.exec<ScheduleRow>(this.sql.list, [])).map(toScheduleRecord)
  }

  async remove(name: string): Promise<boolean> {
    return this.transaction(async (exec) => {
      const before = await exec<ScheduleRow>(this.sql.get, [name])
      await exec(this.sql.remove, [name])
      return before.length > 0
    })
  }

  async setPaused(name: string, paused: boolean): Promise<ScheduleRecord | null> {
    const [row] = await this.exec<ScheduleRow>(this.sql.setPaused, [name, paused])
    return row ? toScheduleRecord(row) : null
  }

  fire(p: ScheduleFire): Promise<{ fired: boolean; taskIds: string[] }> {
    return this.transaction(async (exec) => {
      // The advance locks the schedule's row: a drone cut off mid-fire must not hold every drone's
      // ticks of it until TCP gives up (found on the three-host rig, test/faults/net1-rig.test.ts).
      await limitIdleInTransaction(exec)
      const hit = await exec(this.sql.advance, [p.name, p.revision ?? null, p.nextTick !== undefined, p.nextTick ?? null])
      if (hit.length === 0) return { fired: false, taskIds: [] }
      const taskIds = await this.insert(exec, p.tasks)
      if (taskIds.length > 0) {
        await exec(this.sql.lastRun, [p.name, p.lastTick ?? new Date(), taskIds.at(-1)!])
      }
      return { fired: true, taskIds }
    })
  }
}
