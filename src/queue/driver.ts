import type { TypeFlowUse, TypeSettings } from '../core/flow.ts'
import type { ClaimedTask, Completion, LeaseRef, Task, TaskError, TaskInsert, TaskState } from '../core/task.ts'
import type { OverlapPolicy, ScheduleSpec } from '../schedules/definition.ts'

/**
 * The global queue behind one interface (after River's riverdriver): Noun-Verb methods taking one
 * params object. Every driver passes the conformance suite in test/queue/conformance.ts. Dialect
 * differences are capabilities, never `if (postgres)` in callers.
 *
 * Times are the database clock's: drivers compute lease expiry and run_at with their own `now()`, so a
 * drone whose clock is off neither steals nor expires leases early.
 */
export interface BulkApplyParams {
  verb: 'retry' | 'cancel' | 'delete'
  ids: string[]
  /** the bulk filter's state, re-checked at the moment the batch runs; null: any */
  state: TaskState | null
}

export interface GlobalQueueDriver {
  /** 'sqlite', 'postgres', or the plug-in's name. */
  readonly kind: string
  readonly capabilities: DriverCapabilities

  /** Creates or upgrades the schema; safe when several processes run it at once. */
  schemaMigrate(): Promise<{ applied: number[] }>
  /** Throws SchemaError naming `swarmage migrate` when the schema is missing or older than this code. */
  schemaCheck(): Promise<void>

  /** Inserts in one statement or transaction. Returns ids in input order; a live duplicate `key` yields the existing task's id. */
  taskInsertMany(params: { tasks: TaskInsert[] }): Promise<string[]>
  /**
   * Transactional enqueue (CONTRACT.md "Operations"): inserts on the caller's own connection, inside
   * the transaction it holds open, so the tasks exist iff it commits (and the wake-up NOTIFY is
   * delivered on commit). Only drivers that can share a caller's connection have it (PostgreSQL).
   */
  taskInsertManyOn?(params: { tasks: TaskInsert[]; client: unknown }): Promise<string[]>
  taskGet(params: { id: string }): Promise<Task | null>
  taskList(params: TaskListParams): Promise<Task[]>
  /** Counts matching a filter (for paging UIs); may be capped at `cap` for speed. */
  taskCount(params: Omit<TaskListParams, 'limit' | 'before'> & { cap?: number }): Promise<number>
  taskChildren(params: { id: string }): Promise<string[]>

  /**
   * Claims up to `limit` runnable tasks of each wanted type (state queued, run_at <= now), highest
   * priority first then oldest run_at, marking them running with a lease of `leaseMs` from the
   * database clock, `attempts + 1`, and a new `leaseSeq`. One short transaction.
   */
  taskClaim(params: { droneId: string; droneName: string; wants: ClaimWant[]; leaseMs: number }): Promise<ClaimedTask[]>
  /**
   * Records outcomes in one batch. Each is fenced by (id, leaseSeq, state running): completions whose
   * lease was lost are refused and reported, never applied. A failure with a retryDelayMs on a task
   * whose attempts are exhausted still ends `failed` (never requeued past maxAttempts).
   */
  taskComplete(params: { droneId: string; completions: Completion[] }): Promise<{ refused: string[] }>
  /** Extends the leases still held; returns the ids whose lease is lost (expired, rescued, cancelled, deleted). */
  taskLeaseExtend(params: { droneId: string; leases: LeaseRef[]; leaseMs: number }): Promise<{ lost: string[] }>
  /**
   * One batch (at most `limit`): running tasks whose lease expired more than `graceMs` ago go back to
   * the queue (TRANSITIONS.leaseExpired; the attempt counts), or to failed when their attempts are
   * exhausted (leaseExpiredExhausted), each with a 'lease-expired' attempt whose error is
   * leaseExpiredMessage (src/queue/maintenance.ts). The loop and its timing are the caller's.
   */
  taskRescue(params: { graceMs: number; limit: number }): Promise<{ requeued: string[]; failed: string[] }>
  /** queued|running → cancelled. Returns the task after, or null when not found. Refuses final states with InputError. */
  taskCancel(params: { id: string }): Promise<Task | null>
  /** failed|cancelled → queued with a fresh set of attempts. Null when not found; InputError for other states. */
  taskRetry(params: { id: string }): Promise<Task | null>
  /** Deletes a task that is not running; true when it existed. */
  taskDelete(params: { id: string }): Promise<boolean>
  /**
   * Optional, for bulk actions by filter: applies the rule of taskRetry / taskCancel (queued tasks only)
   * / taskDelete to every id that still qualifies and is still in `state` (when given), in one
   * statement; returns the ids changed. Without it (or for what it leaves), bulk actions go task by task.
   */
  taskBulkApply?(params: BulkApplyParams): Promise<string[]>

  taskLogInsertMany(params: { logs: TaskLog[] }): Promise<void>
  /** The latest `limit` logs of a task (default 1,000), oldest first. */
  taskLogList(params: { id: string; limit?: number }): Promise<TaskLog[]>
  taskAttemptList(params: { id: string }): Promise<TaskAttempt[]>

  statsGet(): Promise<QueueStats>

  /** Registers or refreshes a drone (heartbeat); `lastSeen` is the database clock. */
  droneUpsert(params: { drone: DroneRecord }): Promise<void>
  droneRemove(params: { id: string }): Promise<void>
  /** Drones seen within `seenWithinMs` (default: all recorded). */
  droneList(params?: { seenWithinMs?: number }): Promise<DroneInfo[]>

  /**
   * Maintenance primitives: one step each, no loop and no timing of their own. The policy (how often,
   * how many batches, how long a lease and a silence last) is src/queue/maintenance.ts, the same for
   * every driver.
   *
   * Takes or renews the maintenance lease for `leaseMs` (database clock): true when `holder` has it
   * now (it was free, expired, or already `holder`'s), false while another holder's lease runs.
   */
  maintenanceLeaseTake(params: { holder: string; leaseMs: number }): Promise<boolean>
  /**
   * Deletes at most `limit` tasks in a final state that finished more than `retentionMs` ago, with
   * their logs and attempts, in one short transaction; returns how many.
   */
  taskPrune(params: { retentionMs: number; limit: number }): Promise<number>
  /** Forgets drones not seen for `silentMs` (and whatever else of the driver's own only ages, e.g. wake-up rows). */
  droneForget(params: { silentMs: number }): Promise<void>
  /**
   * Flow control (CONTRACT.md "Flow control"): every type that has settings. Optional for plug-in
   * drivers; without it the queue refuses flow settings.
   */
  typeSettingsList?(): Promise<Record<string, TypeSettings>>
  /**
   * Replaces a type's settings (validated by the caller; settings that hold nothing back remove the
   * row, so the claim takes its plain path again) and wakes drones for the type in the same commit.
   */
  typeSettingsPut?(params: { type: string; settings: TypeSettings }): Promise<void>
  /**
   * A type's current use of its limits, for the console (windows in ms, 0 = no such rate; `groups`:
   * whether to count per group, at most GROUP_USE_MAX groups). Read-only: nothing pruned or locked.
   */
  typeFlowUse?(params: { type: string; rateMs: number; groupRateMs: number; groups: boolean }): Promise<TypeFlowUse>
  /**
   * What `queue.why(id)` explains a task from (src/debug/why.ts): the task, its lease and what stands
   * before it in the queue, read at one moment on the database clock. Null when the task does not
   * exist. Optional for plug-in drivers; without it `why` is refused.
   */
  taskWhyFacts?(params: { id: string }): Promise<TaskWhyFacts | null>
  /**
   * The running tasks leased to one drone run (`claimedBy`), soonest expiry first, at most `limit`,
   * and how many there are: what the console shows of a drone it does not run. Read-only, by the
   * lease index (running tasks only). Optional for plug-in drivers.
   */
  taskListLeased?(params: { droneId: string; limit: number }): Promise<LeasedTasks>
  settingsGet(): Promise<QueueSettings>
  settingsSet(params: Partial<QueueSettings>): Promise<QueueSettings>

  /**
   * Wake-ups: calls `listener` when tasks may have become runnable, or when tasks were cancelled.
   * Pushed where the backend can (LISTEN/NOTIFY, data_version polling), else polling by the caller.
   */
  signalSubscribe(listener: (signal: QueueSignal) => void): Promise<Subscription>

  /**
   * Schedules (src/schedules, docs/architecture.md#schedules). Upsert keeps `paused`, the last run and
   * — when cron and time zone are unchanged — the next tick; a changed timeline sets nextTick null for
   * a scheduler to anchor. Every write bumps `revision`.
   */
  scheduleUpsert(params: { spec: ScheduleSpec }): Promise<ScheduleRecord>
  scheduleGet(params: { name: string }): Promise<ScheduleRecord | null>
  scheduleList(): Promise<ScheduleRecord[]>
  scheduleRemove(params: { name: string }): Promise<boolean>
  /** Sets paused; resuming also clears nextTick, so ticks that fell in the pause never run. Null when not found. */
  scheduleSetPaused(params: { name: string; paused: boolean }): Promise<ScheduleRecord | null>
  /**
   * In ONE transaction: when `revision` is given, only if the row still has it (a compare-and-set, so
   * of several schedulers that read the same row exactly one acts); sets nextTick when given; inserts
   * `tasks` (as taskInsertMany) and records the last one as the last run at `lastTick`; bumps revision.
   * `fired` false (and nothing inserted) when the row changed or is gone.
   */
  scheduleFire(params: ScheduleFire): Promise<{ fired: boolean; taskIds: string[] }>

  /** The database clock. */
  now(): Promise<Date>
  /** A short description for `swarmage migrate` and the console's connection test: version and round trip. */
  ping(): Promise<{ version: string; roundTripMs: number }>
  close(): Promise<void>
}

export interface DriverCapabilities {
  /** Whether this driver pushes wake-ups across processes (vs. the caller polling). */
  pushSignals: boolean
  /** Whether several processes may share the queue (true for all built-ins). */
  shared: boolean
}

export interface ClaimWant {
  type: string
  limit: number
}

export interface TaskListParams {
  state?: TaskState
  type?: string
  /** Case-insensitive text in payload or error. */
  search?: string
  parentId?: string
  limit: number
  /** Keyset cursor: tasks created strictly before this (createdAt, id) in the list order. */
  before?: { createdAt: string; id: string }
}

/** Where a log line came from: `ctx.log`, or what the handler wrote to stdout or stderr (CONTRACT.md "Debugging"). */
export type LogStream = 'log' | 'stdout' | 'stderr'

export interface TaskLog {
  taskId: string
  attempt: number
  level: 'debug' | 'info' | 'warn' | 'error'
  /** Absent on insert means 'log'; always present when read back. */
  stream?: LogStream
  message: string
  data?: unknown
  at: string
}

export interface TaskAttempt {
  taskId: string
  attempt: number
  drone: string | null
  workerPid: number | null
  startedAt: string | null
  finishedAt: string
  outcome: 'succeeded' | 'failed' | 'retried' | 'lease-expired' | 'handed-back' | 'cancelled'
  error: TaskError | null
}

/** A drone's running tasks as the global queue knows them (GlobalQueueDriver.taskListLeased). Times ISO-8601, database clock. */
export interface LeasedTasks {
  now: string
  total: number
  tasks: Array<{ id: string; type: string; attempts: number; maxAttempts: number; startedAt: string | null; leaseExpiresAt: string }>
}

/** The raw facts behind `swarmage why` (see GlobalQueueDriver.taskWhyFacts). Times are ISO-8601, database clock. */
export interface TaskWhyFacts {
  task: Task
  now: string
  /** The id of the drone run holding the task's lease (running tasks), else null. */
  claimedBy: string | null
  leaseExpiresAt: string | null
  /**
   * Queued tasks of its type, runnable now, that a claim takes before it (priority, then runAt, then
   * age), counted up to WHY_AHEAD_CAP + 1 (more reads as "more than WHY_AHEAD_CAP").
   */
  ahead: number
  /** Running tasks of its type across all drones. */
  running: number
  /** Its type's flow settings, or null when it has none. */
  settings: TypeSettings | null
  /** Starts in the type's sliding rate window (null without a rate). */
  rateStarts: number | null
  /** Running tasks of its group (null without a group). */
  groupRunning: number | null
  /** Starts of its group in the group rate window (null without a group or a groupRate). */
  groupRateStarts: number | null
}

/**
 * Where `why` stops counting the tasks ahead: counting 100,000 took 60–80 ms on SQLite and 90–145 ms on
 * PostgreSQL here, and the console asks every second while a task's detail is open.
 */
export const WHY_AHEAD_CAP = 10_000

export type StateCounts = Record<TaskState, number>

/** The shape of `swarmage stats --json` and `queue.stats()`. */
export interface QueueStats {
  types: Record<string, StateCounts>
  drones: DroneInfo[]
}

export interface DroneRecord {
  /** Unique per drone run (a restart gets a new one). */
  id: string
  name: string
  host: string
  pid: number
  /** Free-form live details the console shows (capacity, buffered, wake-up mode, tasks in hand). */
  info?: Record<string, unknown>
}

export interface DroneInfo {
  id: string
  name: string
  host: string
  pid: number
  startedAt: string
  lastSeen: string
  info: Record<string, unknown>
}

export interface QueueSettings {
  /** How long finished tasks stay visible before maintenance prunes them. Default 7 days. */
  retentionMs: number
}

export const DEFAULT_SETTINGS: QueueSettings = { retentionMs: 7 * 24 * 3600_000 }

export type QueueSignal = { kind: 'tasks'; types?: string[] } | { kind: 'cancel'; ids: string[] }

export interface Subscription {
  /** 'push' while signals arrive from the backend; 'polling' when degraded (the drone polls faster). */
  mode(): 'push' | 'polling'
  close(): Promise<void>
}

/** A stored schedule. Times are ISO-8601 (database clock). */
export interface ScheduleRecord {
  name: string
  cron: string
  timezone: string
  type: string
  payload: unknown
  priority: number
  maxAttempts: number
  catchUpMs: number
  overlap: OverlapPolicy
  paused: boolean
  /** The tick the schedulers act on next; null until one anchors it (new schedule, changed cron, resume). */
  nextTick: string | null
  lastTick: string | null
  lastTaskId: string | null
  revision: number
  createdAt: string
  updatedAt: string
}

export interface ScheduleFire {
  name: string
  revision?: number
  nextTick?: Date | null
  lastTick?: Date
  tasks: TaskInsert[]
}

/** What a plug-in queue module exports (default export, or named `createDriver`). */
export type DriverFactory = (config: Record<string, unknown>, ctx: { baseDir: string }) => GlobalQueueDriver | Promise<GlobalQueueDriver>

export function emptyCounts(): StateCounts {
  return { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
}
