import { InputError, NotFoundError } from '../core/errors.ts'
import type { TaskInsert } from '../core/task.ts'
import { validateNewTask, type Limits } from '../core/validate.ts'
import type { GlobalQueueDriver, ScheduleFire, ScheduleRecord } from '../queue/driver.ts'
import { assertScheduleName, nextTick, validateSchedule, type Schedule, type ScheduleDefinition } from './definition.ts'
import { tickKey } from './key.ts'

/** The public shape of a stored schedule; nextRun falls back to the next cron time after `now`. */
export function toSchedule(r: ScheduleRecord, now: Date): Schedule {
  return {
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    type: r.type,
    payload: r.payload,
    priority: r.priority,
    maxAttempts: r.maxAttempts,
    catchUp: r.catchUpMs,
    overlap: r.overlap,
    paused: r.paused,
    nextRun: r.paused ? null : (r.nextTick ?? nextTick(r.cron, r.timezone, now)?.toISOString() ?? null),
    lastRun: r.lastTick,
    lastTaskId: r.lastTaskId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

/** The task of one tick: the schedule's type, payload, priority and attempts, keyed by the tick. */
export function tickTask(r: ScheduleRecord, tick: Date, limits: Limits): TaskInsert {
  return validateNewTask(
    { type: r.type, payload: r.payload, options: { priority: r.priority, maxAttempts: r.maxAttempts, key: tickKey(r.name, tick) } },
    // The payload was checked against the cap when the schedule was set.
    { maxPayloadBytes: Math.max(limits.maxPayloadBytes, Number.MAX_SAFE_INTEGER) }, // never refuse a stored schedule
  )
}

/** What schedules need of a driver: its schedule rows and its clock. */
export type ScheduleStore = Pick<
  GlobalQueueDriver,
  'scheduleUpsert' | 'scheduleGet' | 'scheduleList' | 'scheduleRemove' | 'scheduleSetPaused' | 'scheduleFire' | 'now'
>

/**
 * Queue.setSchedule & co. (src/queue/queue.ts delegates here), and the stored records with their
 * revisions for the schedulers (`queue.scheduling`), so neither reaches past the Queue to its driver.
 */
export class ScheduleApi {
  constructor(
    private readonly driver: ScheduleStore,
    private readonly limits: Limits,
  ) {}

  async set(name: string, def: ScheduleDefinition): Promise<Schedule> {
    const spec = validateSchedule(name, def, this.limits)
    const record = await this.driver.scheduleUpsert({ spec })
    return toSchedule(record, await this.driver.now())
  }

  async list(): Promise<Schedule[]> {
    const [records, now] = await Promise.all([this.driver.scheduleList(), this.driver.now()])
    return records.map((r) => toSchedule(r, now))
  }

  async get(name: string): Promise<Schedule | null> {
    assertScheduleName(name)
    const r = await this.driver.scheduleGet({ name })
    return r ? toSchedule(r, await this.driver.now()) : null
  }

  async remove(name: string): Promise<void> {
    assertScheduleName(name)
    if (!(await this.driver.scheduleRemove({ name }))) throw new NotFoundError(`no schedule named ${name}`)
  }

  async setPaused(name: string, paused: boolean): Promise<Schedule> {
    assertScheduleName(name)
    const r = await this.driver.scheduleSetPaused({ name, paused })
    if (!r) throw new NotFoundError(`no schedule named ${name}`)
    return toSchedule(r, await this.driver.now())
  }

  /** One task now (database clock), keyed by this moment; paused and overlap do not hold it back: an operator asked. */
  async run(name: string): Promise<string> {
    assertScheduleName(name)
    const r = await this.driver.scheduleGet({ name })
    if (!r) throw new NotFoundError(`no schedule named ${name}`)
    const now = await this.driver.now()
    const { fired, taskIds } = await this.driver.scheduleFire({ name, lastTick: now, tasks: [tickTask(r, now, this.limits)] })
    if (!fired) throw new NotFoundError(`no schedule named ${name}`)
    if (taskIds.length !== 1) throw new InputError(`schedule ${name} enqueued no task`)
    return taskIds[0]!
  }

  /** The stored schedules as the schedulers read them: revisions, raw next and last ticks. */
  records(): Promise<ScheduleRecord[]> {
    return this.driver.scheduleList()
  }

  /** The schedulers' compare-and-set advance (GlobalQueueDriver.scheduleFire). */
  fire(params: ScheduleFire): Promise<{ fired: boolean; taskIds: string[] }> {
    return this.driver.scheduleFire(params)
  }
}
