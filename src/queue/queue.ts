import { InputError, NotFoundError } from '../core/errors.ts'
import type { EnqueueOptions, NewTask, Task, TaskInsert, TaskState } from '../core/task.ts'
import { TASK_STATES } from '../core/task.ts'
import { assertTaskType, DEFAULT_MAX_PAYLOAD_BYTES, validateNewTask, type Limits } from '../core/validate.ts'
import { EMPTY_TYPE_SETTINGS, validateTypeSettings, type TypeFlowUse, type TypeSettings, type TypeSettingsPatch } from '../core/flow.ts'
import { ScheduleApi } from '../schedules/api.ts'
import type { Schedule, ScheduleDefinition } from '../schedules/definition.ts'
import { tracedEnqueue } from '../tracing/tracing.ts'
import { explain, unservedTypes, type UnservedType, type WhyReport } from '../debug/why.ts'
import { bulkAction, type BulkFilter, type BulkOptions, type BulkProgress, type BulkVerb } from './bulk/bulk.ts'
import { assertRetentionMs } from './maintenance.ts'
import type { DroneInfo, GlobalQueueDriver, LeasedTasks, QueueSettings, QueueStats, TaskAttempt, TaskListParams, TaskLog } from './driver.ts'

/** Transactional enqueue (PostgreSQL): `client` is a `pg` Client/PoolClient with an open transaction. */
export interface TxOptions {
  client?: unknown
}

/**
 * Told of tasks stored by an enqueue through a Queue: their types, one entry per task (src/metrics
 * counts them), and the rows themselves (the console's postback map reads their parentId).
 */
export type EnqueueListener = (types: readonly string[], rows: readonly TaskInsert[]) => void

export interface QueueOptions {
  /** Largest serialized payload accepted, in bytes. Default 1 MiB. */
  maxPayloadBytes?: number
}


function assertListState(state: string | undefined): void {
  if (state !== undefined && !TASK_STATES.includes(state as TaskState)) {
    throw new InputError(`unknown state "${state}": expected one of ${TASK_STATES.join(', ')}`)
  }
}

/**
 * The public queue API (CONTRACT.md#the-library): validation at the door, then the driver. Nothing
 * reaches the driver unvalidated, so every entry (library, CLI, console, postback) shares the limits.
 */
export class Queue {
  readonly limits: Limits
  private readonly enqueueListeners = new Set<EnqueueListener>()
  constructor(
    /**
     * The driver's primitives, for the engine only: the drone (claims, completions, leases) and
     * tests. Everything else, console and CLI included, goes through the methods below.
     */
    readonly driver: GlobalQueueDriver,
    readonly address: string,
    options: QueueOptions = {},
  ) {
    this.limits = { maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES }
  }

  get kind(): string {
    return this.driver.kind
  }

  /** With `{ client }` (PostgreSQL): a `pg` client inside the caller's open transaction; the task exists iff it commits. */
  async enqueue(type: string, payload?: unknown, options?: EnqueueOptions & TxOptions): Promise<string> {
    const { client, ...rest } = options ?? {}
    const row = validateNewTask({ type, payload, options: rest }, this.limits)
    // A span (a child of the caller's active one) whose traceparent the task keeps: src/tracing.
    const [id] = await tracedEnqueue([type], (traceparent) => {
      row.traceparent = traceparent
      return this.insert([row], client)
    })
    return id!
  }

  private async insert(rows: TaskInsert[], client: unknown): Promise<string[]> {
    if (client === undefined) return this.insertValidated(rows)
    if (!this.driver.taskInsertManyOn) {
      throw new InputError(`enqueue { client } (transactional enqueue) needs a PostgreSQL queue; the ${this.driver.kind} queue cannot join a caller's transaction`)
    }
    const ids = await this.driver.taskInsertManyOn({ tasks: rows, client })
    this.notifyEnqueued(rows)
    return ids
  }

  /** Stores tasks already validated (validateNewTask): the drone's postbacks, validated one by one. */
  async insertValidated(rows: TaskInsert[]): Promise<string[]> {
    const ids = await this.driver.taskInsertMany({ tasks: rows })
    this.notifyEnqueued(rows)
    return ids
  }

  /**
   * Calls `listener` after each enqueue through this Queue (library, console, postbacks) with the
   * stored tasks' types; returns the unsubscribe. Metrics count enqueues with it (src/metrics).
   */
  onEnqueued(listener: EnqueueListener): () => void {
    this.enqueueListeners.add(listener)
    return () => this.enqueueListeners.delete(listener)
  }

  private notifyEnqueued(rows: readonly TaskInsert[]): void {
    if (this.enqueueListeners.size === 0) return
    const types = rows.map((r) => r.type)
    for (const l of this.enqueueListeners) l(types, rows)
  }

  /** Validates every task first: one bad task refuses the whole batch, and nothing is stored; then stores all or none. */
  async enqueueMany(tasks: NewTask[], options: TxOptions = {}): Promise<string[]> {
    if (!Array.isArray(tasks)) throw new InputError('enqueueMany takes an array of { type, payload, options }')
    const rows = tasks.map((t, i) => {
      try {
        return validateNewTask(t, this.limits)
      } catch (err) {
        if (err instanceof InputError) throw new InputError(`task ${i + 1}: ${err.message}`, { cause: err })
        throw err
      }
    })
    // One driver call: the driver stores the whole batch or nothing (splitting it into statements
    // inside one transaction where it must). One enqueue span for the batch; every task keeps it.
    return tracedEnqueue(
      rows.map((r) => r.type),
      (traceparent) => {
        for (const r of rows) r.traceparent = traceparent
        return this.insert(rows, options.client)
      },
    )
  }

  get(id: string): Promise<Task | null> {
    return this.driver.taskGet({ id })
  }

  async mustGet(id: string): Promise<Task> {
    const task = await this.driver.taskGet({ id })
    if (!task) throw new NotFoundError(`no task with id ${id}`)
    return task
  }

  async list(params: Partial<TaskListParams> = {}): Promise<Task[]> {
    assertListState(params.state)
    return this.driver.taskList({ ...params, limit: params.limit ?? 100 })
  }

  /**
   * How many tasks match a filter (the list's filter without paging), counted up to `cap` when given
   * (a count of millions costs seconds; paging UIs show "10,000+").
   */
  async count(filter: Omit<TaskListParams, 'limit' | 'before'> = {}, cap?: number): Promise<number> {
    assertListState(filter.state)
    return this.driver.taskCount(cap === undefined ? filter : { ...filter, cap })
  }

  children(id: string): Promise<string[]> {
    return this.driver.taskChildren({ id })
  }

  logs(id: string, limit?: number): Promise<TaskLog[]> {
    return this.driver.taskLogList(limit === undefined ? { id } : { id, limit })
  }

  attempts(id: string): Promise<TaskAttempt[]> {
    return this.driver.taskAttemptList({ id })
  }

  async retry(id: string): Promise<Task> {
    const task = await this.driver.taskRetry({ id })
    if (!task) throw new NotFoundError(`no task with id ${id}`)
    return task
  }

  async cancel(id: string): Promise<Task> {
    const task = await this.driver.taskCancel({ id })
    if (!task) throw new NotFoundError(`no task with id ${id}`)
    return task
  }

  async delete(id: string): Promise<void> {
    if (!(await this.driver.taskDelete({ id }))) throw new NotFoundError(`no task with id ${id}`)
  }

  /** Retries, cancels or deletes every task matching `filter`, in bounded batches (src/queue/bulk). */
  bulk(verb: BulkVerb, filter: BulkFilter, options?: BulkOptions): Promise<BulkProgress> {
    return bulkAction(this.driver, verb, filter, options)
  }

  /** Why a task is not running, or where it ran (CONTRACT.md "Debugging"; src/debug/why.ts). */
  async why(id: string): Promise<WhyReport> {
    if (!this.driver.taskWhyFacts) throw new InputError(`the ${this.driver.kind} queue cannot explain its tasks (no taskWhyFacts)`)
    const [facts, drones] = await Promise.all([this.driver.taskWhyFacts({ id }), this.driver.droneList()])
    if (!facts) throw new NotFoundError(`no task with id ${id}`)
    return explain(facts, drones)
  }

  /** Types with queued tasks that no live drone serves (src/debug/why.ts), on the database clock. */
  async unserved(): Promise<UnservedType[]> {
    const [stats, now] = await Promise.all([this.driver.statsGet(), this.driver.now()])
    return unservedTypes(stats, now.getTime())
  }

  /** The running tasks leased to one drone run, soonest expiry first (at most `limit`), and their count. */
  async leased(droneId: string, limit: number): Promise<LeasedTasks> {
    if (!this.driver.taskListLeased) throw new InputError(`the ${this.driver.kind} queue cannot list a drone's leases (no taskListLeased)`)
    return this.driver.taskListLeased({ droneId, limit })
  }

  /** Registered drones (the heartbeat rows), those seen within `seenWithinMs` when given. */
  drones(options: { seenWithinMs?: number } = {}): Promise<DroneInfo[]> {
    return this.driver.droneList(options)
  }

  /** The database clock: what leases, run times and schedules are measured on. */
  now(): Promise<Date> {
    return this.driver.now()
  }

  /** The backend's version and one round trip (`swarmage migrate`, the console's connection test). */
  ping(): Promise<{ version: string; roundTripMs: number }> {
    return this.driver.ping()
  }

  /**
   * A type's current use of its flow limits (the console's Types view), or null when this queue
   * cannot tell (a plug-in without typeFlowUse). Windows in ms, 0 = no such rate.
   */
  async typeUse(type: string, params: { rateMs: number; groupRateMs: number; groups: boolean }): Promise<TypeFlowUse | null> {
    if (!this.driver.typeFlowUse) return null
    return this.driver.typeFlowUse({ type, ...params })
  }

  stats(): Promise<QueueStats> {
    return this.driver.statsGet()
  }

  settings(): Promise<QueueSettings> {
    return this.driver.settingsGet()
  }

  async setSettings(settings: Partial<QueueSettings>): Promise<QueueSettings> {
    if (settings.retentionMs !== undefined) assertRetentionMs(settings.retentionMs)
    return this.driver.settingsSet(settings)
  }

  /** Flow control per type (CONTRACT.md "Flow control"): every type with settings. */
  async typeSettings(): Promise<Record<string, TypeSettings>> {
    if (!this.driver.typeSettingsList) return {}
    return this.driver.typeSettingsList()
  }

  /**
   * Changes a type's flow settings: keys given replace the stored ones (null clears one), the rest
   * stay. Validated first (one bad value refuses all, nothing stored). Returns the settings after.
   */
  async setTypeSettings(type: string, patch: TypeSettingsPatch): Promise<TypeSettings> {
    assertTaskType(type)
    const valid = validateTypeSettings(patch, type)
    if (!this.driver.typeSettingsPut || !this.driver.typeSettingsList) {
      throw new InputError(`the ${this.driver.kind} queue does not support flow control (type settings)`)
    }
    const current = (await this.driver.typeSettingsList())[type] ?? EMPTY_TYPE_SETTINGS
    const next: TypeSettings = { ...current }
    for (const k of Object.keys(valid) as Array<keyof TypeSettings>) {
      if (valid[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = valid[k]
    }
    await this.driver.typeSettingsPut({ type, settings: next })
    return next
  }

  /**
   * Schedules (CONTRACT.md#schedules-recurring-tasks; src/schedules): the public methods below, and
   * the stored records and compare-and-set the schedulers drive (src/schedules/scheduler.ts).
   */
  get scheduling(): ScheduleApi {
    this.scheduleApi ??= new ScheduleApi(this.driver, this.limits)
    return this.scheduleApi
  }
  private scheduleApi: ScheduleApi | undefined

  /** Creates or replaces a schedule; keeps its paused state, last run and (same cron and zone) next tick. */
  setSchedule(name: string, def: ScheduleDefinition): Promise<Schedule> {
    return this.scheduling.set(name, def)
  }

  schedules(): Promise<Schedule[]> {
    return this.scheduling.list()
  }

  schedule(name: string): Promise<Schedule | null> {
    return this.scheduling.get(name)
  }

  removeSchedule(name: string): Promise<void> {
    return this.scheduling.remove(name)
  }

  pauseSchedule(name: string): Promise<Schedule> {
    return this.scheduling.setPaused(name, true)
  }

  resumeSchedule(name: string): Promise<Schedule> {
    return this.scheduling.setPaused(name, false)
  }

  /** Enqueues one task of the schedule now; returns its id. */
  runSchedule(name: string): Promise<string> {
    return this.scheduling.run(name)
  }

  migrate(): Promise<{ applied: number[] }> {
    return this.driver.schemaMigrate()
  }

  close(): Promise<void> {
    return this.driver.close()
  }
}
