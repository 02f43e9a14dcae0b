import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { SwarmageError } from '../../core/errors.ts'
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../../core/sqlite-lib.ts'
import type { ClaimedTask, Completion, LeaseRef, Task, TaskInsert } from '../../core/task.ts'
import {
  DEFAULT_SETTINGS,
  emptyCounts,
  type ClaimWant,
  type DriverCapabilities,
  type DroneInfo,
  type DroneRecord,
  type GlobalQueueDriver,
  type QueueSettings,
  type QueueSignal,
  type QueueStats,
  type Subscription,
  type TaskAttempt,
  type TaskListParams,
  type TaskLog,
  type TaskWhyFacts,
  type LeasedTasks,
  type ScheduleFire,
  type ScheduleRecord,
} from '../driver.ts'
import type { ScheduleSpec } from '../../schedules/definition.ts'
import { isUnlimited, parseRate, type TypeFlowUse, type TypeSettings } from '../../core/flow.ts'
import { cancelTask, deleteTask, retryTask } from './actions.ts'
import { claimLimited, flowUse, toTypeSettings } from './flow.ts'
import { checkSchema, migrate } from './migrations.ts'
import { setSchedulePaused, toScheduleRecord, upsertSchedule } from './schedules.ts'
import { toAttempt, toDrone, toLog, toTask, type ClaimRow } from './rows.ts'
import { SIGNAL_TTL_MS, SignalHub } from './signals.ts'
import { ListStatements, prepareStatements, type Statements } from './statements.ts'
import { applyCompletions, rescueExpired } from './transitions.ts'
import { readLeased } from './leased.ts'
import { prepareWhyStatements, readWhyFacts, type WhyStatements } from './why.ts'

/** WAL pages between automatic checkpoints (SQLite's default is 1,000). */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
/** How long a lock may be waited for before a write gives up with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000
const DEFAULT_LOG_LIMIT = 1000
/** Prune old signal rows once every this many signal writes (cheap: indexed by id, rows are tiny). */
const SIGNAL_PRUNE_EVERY = 256

/**
 * The embedded global queue: one SQLite file in WAL mode that drones in separate processes share.
 * The database clock is this machine's Date.now(). Every write is one short BEGIN IMMEDIATE
 * transaction (a deferred one that upgrades to a write can fail with SQLITE_BUSY_SNAPSHOT without
 * waiting), and batches (claim, complete, insertMany) are one transaction each: a commit in WAL with
 * synchronous=NORMAL costs no fsync, so a batch of 1,000 inserts costs a few ms, not 1,000 commits.
 */
export class SqliteDriver implements GlobalQueueDriver {
  readonly kind = 'sqlite'
  readonly capabilities: DriverCapabilities = { pushSignals: true, shared: true }
  private statements: Statements | null = null
  private readonly lists: ListStatements
  private readonly signals: SignalHub
  private pendingSignals: QueueSignal[] = []
  private signalWrites = 0
  private closed = false
  private versionStmt: SqliteStatement<[], string> | null = null
  private whyStatements: WhyStatements | null = null

  private constructor(
    private readonly db: SqliteDatabase,
    readonly path: string,
  ) {
    this.lists = new ListStatements(db)
    this.signals = new SignalHub(path, randomUUID())
  }

  static async open({ path }: { path: string }): Promise<SqliteDriver> {
    mkdirSync(dirname(path), { recursive: true })
    const db = openSqlite(path)
    try {
      // busy_timeout first: switching to WAL takes a lock another process may briefly hold.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
      db.pragma('journal_mode = WAL')
      // NORMAL in WAL: durable against a process crash, only an OS crash may lose the last commits.
      db.pragma('synchronous = NORMAL')
      // Checkpoint every ~40 MB of WAL instead of ~4 MB: hot pages (index tails, the claim range) are
      // rewritten many times between checkpoints and copied once. Measured: burn-down +17%, drone CPU
      // 74 → 64 µs per task (docs/performance.md). journal_size_limit trims the WAL file after each.
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`)
    } catch (err) {
      db.close()
      throw new SwarmageError(`cannot open the SQLite queue at ${path}: ${(err as Error).message}`, { cause: err })
    }
    return new SqliteDriver(db, path)
  }

  /** Statements are prepared on first use, once the schema exists; a missing schema is a SchemaError. */
  private get s(): Statements {
    if (this.statements === null) {
      try {
        this.statements = prepareStatements(this.db)
      } catch (err) {
        checkSchema(this.db, this.path)
        throw err
      }
    }
    return this.statements
  }

  /** Runs `fn` in BEGIN IMMEDIATE; signals it queued are delivered to local subscribers after the commit. */
  private write<T>(fn: () => T): T {
    try {
      const result = this.db.transaction(fn).immediate()
      const pending = this.pendingSignals
      this.pendingSignals = []
      for (const signal of pending) this.signals.emitLocal(signal)
      return result
    } catch (err) {
      this.pendingSignals = []
      const code = (err as { code?: unknown }).code
      if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
        throw new SwarmageError(`the SQLite queue at ${this.path} stayed locked for ${BUSY_TIMEOUT_MS} ms`, { cause: err, retryable: true })
      }
      throw err
    }
  }

  /** Records a signal inside the current write transaction, for other processes and this one. */
  private signal(signal: QueueSignal, now: number): void {
    const body = signal.kind === 'cancel' ? { ids: signal.ids } : signal.types ? { types: signal.types } : {}
    this.s.signalInsert.run(this.signals.origin, signal.kind, JSON.stringify(body), now)
    if (++this.signalWrites % SIGNAL_PRUNE_EVERY === 0) this.s.signalPrune.run(now - SIGNAL_TTL_MS)
    this.pendingSignals.push(signal)
  }

  async schemaMigrate(): Promise<{ applied: number[] }> {
    const applied = migrate(this.db)
    this.statements = null
    return { applied }
  }

  async schemaCheck(): Promise<void> {
    checkSchema(this.db, this.path)
  }

  async taskInsertMany({ tasks }: { tasks: TaskInsert[] }): Promise<string[]> {
    if (tasks.length === 0) return []
    return this.write(() => this.insertIn(tasks, Date.now()))
  }

  /** Inserts inside the caller's write transaction (taskInsertMany, scheduleFire). */
  private insertIn(tasks: TaskInsert[], now: number): string[] {
    const s = this.s
    const ids: string[] = []
    const types = new Set<string>()
    for (const t of tasks) {
      const args = {
        id: t.id,
        type: t.type,
        payload: t.payloadJson,
        priority: t.priority,
        runAt: t.runAt ? t.runAt.getTime() : now + t.delayMs,
        maxAttempts: t.maxAttempts,
        key: t.key,
        parentId: t.parentId,
        grp: t.group,
        traceparent: t.traceparent ?? null,
        now,
      }
      if (s.insertTask.run(args).changes === 1) {
        ids.push(t.id)
        types.add(t.type)
        continue
      }
      // Not inserted: a live task holds this key (possibly one earlier in this batch).
      const existing = t.key === null ? undefined : s.liveKey.get(t.key)
      if (existing === undefined) throw new SwarmageError(`task id ${t.id} already exists`)
      ids.push(existing)
    }
    if (types.size > 0) this.signal({ kind: 'tasks', types: [...types] }, now)
    return ids
  }

  async scheduleUpsert({ spec }: { spec: ScheduleSpec }): Promise<ScheduleRecord> {
    return this.write(() => upsertSchedule(this.s.schedules, spec))
  }

  async scheduleGet({ name }: { name: string }): Promise<ScheduleRecord | null> {
    const row = this.s.schedules.get.get(name)
    return row ? toScheduleRecord(row) : null
  }

  async scheduleList(): Promise<ScheduleRecord[]> {
    return this.s.schedules.list.all().map(toScheduleRecord)
  }

  async scheduleRemove({ name }: { name: string }): Promise<boolean> {
    const st = this.s.schedules
    return this.write(() => st.remove.run(name).changes === 1)
  }

  async scheduleSetPaused({ name, paused }: { name: string; paused: boolean }): Promise<ScheduleRecord | null> {
    return this.write(() => setSchedulePaused(this.s.schedules, name, paused))
  }

  async scheduleFire(params: ScheduleFire): Promise<{ fired: boolean; taskIds: string[] }> {
    const st = this.s.schedules
    return this.write(() => {
      const now = Date.now()
      const changed = st.advance.run({
        name: params.name,
        revision: params.revision ?? null,
        setNext: params.nextTick === undefined ? 0 : 1,
        nextTick: params.nextTick ? params.nextTick.getTime() : null,
        now,
      }).changes
      if (changed === 0) return { fired: false, taskIds: [] }
      const taskIds = this.insertIn(params.tasks, now)
      if (taskIds.length > 0) st.lastRun.run({ name: params.name, lastTick: (params.lastTick ?? new Date(now)).getTime(), taskId: taskIds.at(-1)! })
      return { fired: true, taskIds }
    })
  }

  async taskGet({ id }: { id: string }): Promise<Task | null> {
    const row = this.s.getTask.get(id)
    return row ? toTask(row) : null
  }

  async taskList(params: TaskListParams): Promise<Task[]> {
    const { stmt, args } = this.lists.list(params)
    return stmt.all(args).map(toTask)
  }

  async taskCount(params: Omit<TaskListParams, 'limit' | 'before'> & { cap?: number }): Promise<number> {
    const { stmt, args } = this.lists.count(params)
    return stmt.get(args) ?? 0
  }

  async taskChildren({ id }: { id: string }): Promise<string[]> {
    return this.s.children.all(id)
  }

  async taskClaim(params: { droneId: string; droneName: string; wants: ClaimWant[]; leaseMs: number }): Promise<ClaimedTask[]> {
    const s = this.s
    return this.write(() => {
      const now = Date.now()
      const claimed: ClaimedTask[] = []
      for (const want of params.wants) {
        if (want.limit <= 0) continue
        const claim = {
          droneId: params.droneId,
          droneName: params.droneName,
          now,
          expires: now + params.leaseMs,
          type: want.type,
          limit: want.limit,
        }
        // Flow control: a type with a settings row is claimed under its limits (flow.ts).
        const settings = s.flow.settingsOf.get(want.type)
        const rows = settings === undefined ? s.claim.all(claim) : claimLimited(s.flow, settings, claim)
        rows.sort(claimOrder)
        for (const r of rows) {
          claimed.push({
            id: r.id,
            type: r.type,
            payloadJson: r.payload,
            attempt: r.attempts,
            maxAttempts: r.max_attempts,
            parentId: r.parent_id,
            leaseSeq: r.lease_seq,
            runAt: r.run_at,
            traceparent: r.traceparent,
          })
        }
      }
      return claimed
    })
  }

  async taskWhyFacts({ id }: { id: string }): Promise<TaskWhyFacts | null> {
    void this.s // a missing schema is a SchemaError, as for every read
    this.whyStatements ??= prepareWhyStatements(this.db)
    return readWhyFacts(this.db, this.whyStatements, id)
  }

  async taskListLeased(params: { droneId: string; limit: number }): Promise<LeasedTasks> {
    void this.s // a missing schema is a SchemaError, as for every read
    return readLeased(this.db, params)
  }

  async typeSettingsList(): Promise<Record<string, TypeSettings>> {
    return Object.fromEntries(this.s.flow.list.all().map((r) => [r.type, toTypeSettings(r)]))
  }

  async typeFlowUse(params: { type: string; rateMs: number; groupRateMs: number; groups: boolean }): Promise<TypeFlowUse> {
    return flowUse(this.s.flow, params, Date.now())
  }

  async typeSettingsPut({ type, settings: t }: { type: string; settings: TypeSettings }): Promise<void> {
    const f = this.s.flow
    this.write(() => {
      if (isUnlimited(t)) f.remove.run(type)
      else {
        const rate = t.rate === null ? null : parseRate(t.rate)
        const groupRate = t.groupRate === null ? null : parseRate(t.groupRate, 'groupRate')
        f.put.run({
          type,
          paused: t.paused ? 1 : 0,
          maxRunning: t.maxRunning,
          rate: t.rate,
          rateN: rate?.n ?? null,
          rateMs: rate?.windowMs ?? null,
          groupMaxRunning: t.groupMaxRunning,
          groupRate: t.groupRate,
          groupRateN: groupRate?.n ?? null,
          groupRateMs: groupRate?.windowMs ?? null,
        })
      }
      // The same wake-up as new tasks: a resume or a raised limit frees tasks of this type.
      this.signal({ kind: 'tasks', types: [type] }, Date.now())
    })
  }

  async taskComplete({ completions }: { droneId: string; completions: Completion[] }): Promise<{ refused: string[] }> {
    if (completions.length === 0) return { refused: [] }
    const s = this.s
    return this.write(() => {
      const now = Date.now()
      const { refused, requeuedTypes } = applyCompletions(s, completions, now)
      if (requeuedTypes.size > 0) this.signal({ kind: 'tasks', types: [...requeuedTypes] }, now)
      return { refused }
    })
  }

  async taskLeaseExtend({ leases, leaseMs }: { droneId: string; leases: LeaseRef[]; leaseMs: number }): Promise<{ lost: string[] }> {
    if (leases.length === 0) return { lost: [] }
    const s = this.s
    return this.write(() => {
      const now = Date.now()
      const lost: string[] = []
      for (const l of leases) {
        if (s.leaseExtend.run({ id: l.id, leaseSeq: l.leaseSeq, now, expires: now + leaseMs }).changes === 0) lost.push(l.id)
      }
      return { lost }
    })
  }

  async taskRescue({ graceMs, limit }: { graceMs: number; limit: number }): Promise<{ requeued: string[]; failed: string[] }> {
    const s = this.s
    return this.write(() => {
      const now = Date.now()
      const { requeued, failed, types } = rescueExpired(s, { cutoff: now - graceMs, limit }, now)
      if (types.size > 0) this.signal({ kind: 'tasks', types: [...types] }, now)
      return { requeued, failed }
    })
  }

  async taskCancel({ id }: { id: string }): Promise<Task | null> {
    return this.write(() => cancelTask(this.s, id, (signal, now) => this.signal(signal, now)))
  }

  async taskRetry({ id }: { id: string }): Promise<Task | null> {
    return this.write(() => retryTask(this.s, id, (signal, now) => this.signal(signal, now)))
  }

  async taskDelete({ id }: { id: string }): Promise<boolean> {
    return this.write(() => deleteTask(this.s, id))
  }

  async taskLogInsertMany({ logs }: { logs: TaskLog[] }): Promise<void> {
    if (logs.length === 0) return
    const s = this.s
    this.write(() => {
      const now = Date.now()
      for (const l of logs) {
        const at = Date.parse(l.at)
        s.insertLog.run({
          taskId: l.taskId,
          attempt: l.attempt,
          level: l.level,
          stream: l.stream ?? 'log',
          message: l.message,
          data: l.data === undefined ? null : JSON.stringify(l.data),
          at: Number.isNaN(at) ? now : at,
        })
      }
    })
  }

  /** The latest `limit` logs (default 1,000), oldest first. */
  async taskLogList({ id, limit }: { id: string; limit?: number }): Promise<TaskLog[]> {
    return this.s.listLogs.all(id, limit ?? DEFAULT_LOG_LIMIT).reverse().map(toLog)
  }

  async taskAttemptList({ id }: { id: string }): Promise<TaskAttempt[]> {
    return this.s.listAttempts.all(id).map(toAttempt)
  }

  async statsGet(): Promise<QueueStats> {
    const types: QueueStats['types'] = {}
    for (const r of this.s.stats.all()) {
      const counts = (types[r.type] ??= emptyCounts())
      counts[r.state as keyof typeof counts] = r.n
    }
    return { types, drones: await this.droneList() }
  }

  async droneUpsert({ drone }: { drone: DroneRecord }): Promise<void> {
    const s = this.s
    this.write(() => {
      s.droneUpsert.run({ id: drone.id, name: drone.name, host: drone.host, pid: drone.pid, now: Date.now(), info: JSON.stringify(drone.info ?? {}) })
    })
  }

  async droneRemove({ id }: { id: string }): Promise<void> {
    const s = this.s
    this.write(() => s.droneRemove.run(id))
  }

  async droneList(params?: { seenWithinMs?: number }): Promise<DroneInfo[]> {
    const since = params?.seenWithinMs === undefined ? Number.MIN_SAFE_INTEGER : Date.now() - params.seenWithinMs
    return this.s.droneList.all(since).map(toDrone)
  }

  async maintenanceLeaseTake({ holder, leaseMs }: { holder: string; leaseMs: number }): Promise<boolean> {
    const s = this.s
    return this.write(() => {
      const now = Date.now()
      const lease = s.leaseGet.get()
      if (lease && lease.holder !== holder && lease.expires_at > now) return false
      s.leaseSet.run({ holder, expires: now + leaseMs })
      return true
    })
  }

  async taskPrune({ retentionMs, limit }: { retentionMs: number; limit: number }): Promise<number> {
    const s = this.s
    return this.write(() => {
      const ids = s.prunable.all({ cutoff: Date.now() - retentionMs, limit: Math.max(1, Math.floor(limit)) })
      if (ids.length === 0) return 0
      const json = JSON.stringify(ids)
      s.pruneLogs.run(json)
      s.pruneAttempts.run(json)
      s.pruneTasks.run(json)
      return ids.length
    })
  }

  async droneForget({ silentMs }: { silentMs: number }): Promise<void> {
    const s = this.s
    this.write(() => {
      const now = Date.now()
      s.dronePrune.run(now - silentMs)
      // Wake-up rows older than any reader's window: pruned every SIGNAL_PRUNE_EVERY writes too, but
      // a queue that went quiet would keep its last few hundred until this.
      s.signalPrune.run(now - SIGNAL_TTL_MS)
    })
  }

  async settingsGet(): Promise<QueueSettings> {
    const raw = this.s.settingGet.get('retentionMs')
    return { retentionMs: raw === undefined ? DEFAULT_SETTINGS.retentionMs : (JSON.parse(raw) as number) }
  }

  async settingsSet(params: Partial<QueueSettings>): Promise<QueueSettings> {
    const s = this.s
    if (params.retentionMs !== undefined) {
      const value = JSON.stringify(params.retentionMs)
      this.write(() => s.settingSet.run('retentionMs', value))
    }
    return this.settingsGet()
  }

  async signalSubscribe(listener: (signal: QueueSignal) => void): Promise<Subscription> {
    return this.signals.subscribe(listener)
  }

  async now(): Promise<Date> {
    return new Date()
  }

  async ping(): Promise<{ version: string; roundTripMs: number }> {
    const t0 = performance.now()
    this.versionStmt ??= this.db.prepare('SELECT sqlite_version()').pluck() as SqliteStatement<[], string>
    const version = this.versionStmt.get()!
    return { version: `SQLite ${version}`, roundTripMs: performance.now() - t0 }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.signals.close()
    this.db.close()
  }
}

function claimOrder(a: ClaimRow, b: ClaimRow): number {
  return b.priority - a.priority || a.run_at - b.run_at || a.created_at - b.created_at
}
