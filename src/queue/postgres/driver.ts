import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { InputError, SwarmageError } from '../../core/errors.ts'
import type { ClaimedTask, Completion, LeaseRef, Task, TaskInsert } from '../../core/task.ts'
import {
  DEFAULT_SETTINGS,
  emptyCounts,
  type ClaimWant,
  type DriverCapabilities,
  type DroneInfo,
  type DroneRecord,
  type BulkApplyParams,
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
import { LEASE_EXPIRED_FORMAT } from '../maintenance.ts'
import { isRetryablePgError, queryRows, statementLabel, wrapPgError } from './errors.ts'
import { channelFor, isUuid, textSafe } from './ident.ts'
import { PgListener } from './listener.ts'
import { check, migrate } from './migrations.ts'
import { byId, completionsJson, logData } from './batch-json.ts'
import { cancelTask, deleteTask, retryTask } from './actions.ts'
import { makePool, type PostgresDriverOptions } from './pool.ts'
import { chunkByBytes, insertTasks, type Exec } from './insert.ts'
import { listQuery } from './list.ts'
import { PgSchedules, scheduleStatements } from './schedules.ts'
import { bulkApply, bulkStatements, type BulkStatements } from './bulk.ts'
import { toAttempt, toDrone, toLog, toTask, type AttemptRow, type ClaimRow, type DroneRow, type LogRow, type TaskRow } from './rows.ts'
import { claimLimited, toClaimed, toTypeSettings } from './flow.ts'
import { GROUP_USE_MAX, isUnlimited, parseRate, type TypeFlowUse, type TypeSettings } from '../../core/flow.ts'
import { buildStatements, type Statement, type Statements } from './sql.ts'
import { leasedStatement, toLeased, type LeasedRow } from './leased.ts'
import { toWhyFacts, whyStatement, type WhyRow } from './why.ts'

export type { PostgresDriverOptions } from './pool.ts'

/**
 * The PostgreSQL global queue. Every hot-path call (claim, complete, lease extension, insert) is one
 * named prepared statement: one round trip per batch, whatever the batch size. Times come from the
 * database clock. Wake-ups are LISTEN/NOTIFY on `swarmage_<schema>`, carrying only types or ids.
 */
/** A fresh pool at most this often (a flapping network must not churn connections). */
const POOL_ROTATE_MIN_MS = 2_000

export class PostgresDriver implements GlobalQueueDriver {
  readonly kind = 'postgres'
  readonly capabilities: DriverCapabilities = { pushSignals: true, shared: true }
  private readonly sql: Statements
  private whySql: Statement | undefined
  private readonly listener: PgListener
  private closed: Promise<void> | null = null

  private rotatedAt = 0

  private constructor(
    private pool: pg.Pool,
    readonly schema: string,
    private readonly options: PostgresDriverOptions,
  ) {
    this.sql = buildStatements(schema)
    this.listener = new PgListener({
      connectionString: options.connectionString,
      channel: channelFor(schema),
      // Names the schema so one queue's LISTEN connection can be told apart from another's.
      applicationName: `${options.applicationName ?? 'swarmage'}-listen:${schema}`,
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: options.heartbeatTimeoutMs }),
      onDown: () => this.rotatePool(),
    })
  }

  static async open(options: PostgresDriverOptions): Promise<PostgresDriver> {
    return new PostgresDriver(makePool(options), options.schema ?? 'swarmage', options)
  }

  /**
   * Starts a fresh pool when a query timed out or lost its connection, or the LISTEN connection was
   * found dead: the other idle connections likely share the fault (a black-holed path answers nothing,
   * it does not close), and pg-pool would hand them out one by one, each costing a full query timeout
   * (10 connections × the timeout ≈ minutes before work resumes; test/faults/s04). In-flight queries
   * finish or time out on the old pool, which then ends. At most once per POOL_ROTATE_MIN_MS.
   */
  private rotatePool(): void {
    if (this.closed || Date.now() - this.rotatedAt < POOL_ROTATE_MIN_MS) return
    this.rotatedAt = Date.now()
    const old = this.pool
    this.pool = makePool(this.options)
    void old.end().catch(() => undefined)
  }

  /** Every failed query reports here (queryRows): a connection fault or a timeout rotates the pool. */
  private readonly onError = (err: unknown): void => {
    if (isRetryablePgError(err) || (err instanceof Error && /timeout/i.test(err.message))) this.rotatePool()
  }

  /** The LISTEN connection's backend pid (null while down): lets tests and operators find it. */
  get listenerBackendPid(): number | null {
    return this.listener.backendPid
  }

  /** Why the LISTEN connection last went down, if it ever did (diagnostics for the console). */
  get listenerError(): Error | null {
    return this.listener.lastError
  }

  private readonly exec: Exec = (stmt, values) => this.run(stmt, values)
  private _schedules: PgSchedules | undefined
  private get schedules(): PgSchedules {
    this._schedules ??= new PgSchedules(
      scheduleStatements(this.schema),
      this.exec,
      (body) => this.transaction(body),
      (exec, tasks) => insertTasks(exec, this.sql, tasks),
    )
    return this._schedules
  }

  scheduleUpsert({ spec }: { spec: ScheduleSpec }): Promise<ScheduleRecord> {
    return this.schedules.upsert(spec)
  }

  scheduleGet({ name }: { name: string }): Promise<ScheduleRecord | null> {
    return this.schedules.get(name)
  }

  scheduleList(): Promise<ScheduleRecord[]> {
    return this.schedules.list()
  }

  scheduleRemove({ name }: { name: string }): Promise<boolean> {
    return this.schedules.remove(name)
  }

  scheduleSetPaused({ name, paused }: { name: string; paused: boolean }): Promise<ScheduleRecord | null> {
    return this.schedules.setPaused(name, paused)
  }

  scheduleFire(params: ScheduleFire): Promise<{ fired: boolean; taskIds: string[] }> {
    return this.schedules.fire(params)
  }

  private run<R>(stmt: Statement, values: unknown[]): Promise<R[]> {
    return queryRows<R>(this.pool, stmt, values, statementLabel(stmt), this.onError)
  }

  async schemaMigrate(): Promise<{ applied: number[] }> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName ?? 'swarmage',
      connectionTimeoutMillis: 10_000,
    })
    client.on('error', () => undefined) // reported by the query that fails
    try {
      await client.connect()
      return await migrate(client, this.schema)
    } catch (err) {
      throw wrapPgError(err, 'migrate')
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  schemaCheck(): Promise<void> {
    return check(this.pool, this.schema).catch((err: unknown) => {
      throw wrapPgError(err, 'schema check')
    })
  }

  async taskInsertMany({ tasks }: { tasks: TaskInsert[] }): Promise<string[]> {
    const chunks = chunkByBytes(tasks)
    if (chunks.length <= 1) return insertTasks(this.exec, this.sql, tasks)
    // Too many rows or payload bytes for one statement: several, in one transaction, so all or nothing is stored.
    return this.transaction(async (exec) => {
      const ids: string[] = []
      for (const chunk of chunks) ids.push(...(await insertTasks(exec, this.sql, chunk)))
      return ids
    })
  }

  async taskInsertManyOn({ tasks, client }: { tasks: TaskInsert[]; client: unknown }): Promise<string[]> {
    const c = client as { query?: unknown }
    if (!c || typeof c.query !== 'function') throw new InputError('enqueue: { client } must be a pg Client or PoolClient inside an open transaction')
    const q = client as pg.ClientBase
    // Unnamed statements: the caller's connection may already hold prepared statements of the same
    // name for another schema. All chunks run in the caller's transaction: all or nothing.
    const exec: Exec = <R>(stmt: Statement, values: unknown[]) => queryRows<R>(q, { text: stmt.text }, values, statementLabel(stmt))
    const ids: string[] = []
    for (const chunk of chunkByBytes(tasks)) ids.push(...(await insertTasks(exec, this.sql, chunk)))
    return ids
  }

  private async transaction<T>(body: (exec: Exec) => Promise<T>): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      this.onError(err)
      throw wrapPgError(err, 'connect')
    }
    const exec: Exec = <R>(stmt: Statement, values: unknown[]) => queryRows<R>(client, stmt, values, statementLabel(stmt), this.onError)
    // pg-pool listens for errors on idle clients only: a connection ended while checked out (the server
    // ended an idle-in-transaction session, flow.ts; pg_terminate_backend; a restart) would otherwise
    // be an uncaught 'error' event that kills the drone. The query in flight reports it.
    const ignore = (): void => undefined
    client.on('error', ignore)
    let broken: Error | undefined
    try {
      await queryRows(client, { text: 'BEGIN' }, [], 'begin')
      const result = await body(exec)
      await queryRows(client, { text: 'COMMIT' }, [], 'commit')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e))
      })
      throw err
    } finally {
      client.removeListener('error', ignore)
      client.release(broken)
    }
  }

  async taskGet({ id }: { id: string }): Promise<Task | null> {
    if (!isUuid(id)) return null
    const [row] = await this.run<TaskRow>(this.sql.get, [id])
    return row ? toTask(row) : null
  }

  async taskList(params: TaskListParams): Promise<Task[]> {
    const q = listQuery(this.schema, params, 'list')
    return (await this.query<TaskRow>(q.text, q.values, 'task list')).map(toTask)
  }

  async taskCount(params: Omit<TaskListParams, 'limit' | 'before'> & { cap?: number }): Promise<number> {
    const q = listQuery(this.schema, params, 'count')
    const [row] = await this.query<{ n: number }>(q.text, q.values, 'task count')
    return row?.n ?? 0
  }

  async taskChildren({ id }: { id: string }): Promise<string[]> {
    if (!isUuid(id)) return []
    return (await this.run<{ id: string }>(this.sql.children, [id])).map((r) => r.id)
  }

  async taskClaim(params: { droneId: string; droneName: string; wants: ClaimWant[]; leaseMs: number }): Promise<ClaimedTask[]> {
    // Merge repeated types: one LATERAL probe per type.
    const limits = new Map<string, number>()
    for (const w of params.wants) if (w.limit > 0) limits.set(w.type, (limits.get(w.type) ?? 0) + w.limit)
    if (limits.size === 0) return []
    const rows = await this.run<ClaimRow>(this.sql.claim, [[...limits.keys()], [...limits.values()], params.droneId, params.droneName, params.leaseMs])
    const claimed: ClaimedTask[] = []
    const limited = new Map<string, number>()
    // Rows with a null id name wanted types that have flow settings: claimed under their limits next.
    for (const r of rows) {
      if (r.id === null) limited.set(r.type, limits.get(r.type)!)
      else claimed.push(toClaimed(r))
    }
    if (limited.size > 0) claimed.push(...(await this.transaction((exec) => claimLimited(exec, this.sql, params, limited))))
    return claimed
  }

  async taskWhyFacts({ id }: { id: string }): Promise<TaskWhyFacts | null> {
    if (!isUuid(id)) return null
    this.whySql ??= whyStatement(this.schema)
    const [row] = await this.run<WhyRow>(this.whySql, [id])
    return row ? toWhyFacts(row) : null
  }

  async taskListLeased(params: { droneId: string; limit: number }): Promise<LeasedTasks> {
    return toLeased(await this.run<LeasedRow>(leasedStatement(this.schema), [params.droneId, params.limit]))
  }

  async typeSettingsList(): Promise<Record<string, TypeSettings>> {
    const rows = await this.run<Parameters<typeof toTypeSettings>[0] & { type: string }>(this.sql.typeSettingsList, [])
    return Object.fromEntries(rows.map((r) => [r.type, toTypeSettings(r)]))
  }

  async typeFlowUse(p: { type: string; rateMs: number; groupRateMs: number; groups: boolean }): Promise<TypeFlowUse> {
    const [[use], groups] = await Promise.all([
      this.run<{ running: number; runnable: number; starts: number }>(this.sql.flowViewUse, [p.type, p.rateMs]),
      p.groups ? this.run<{ grp: string; running: number; starts: number; queued: number }>(this.sql.flowViewGroups, [p.type, p.groupRateMs, GROUP_USE_MAX]) : [],
    ])
    return { ...use!, groups: groups.map((g) => ({ group: g.grp, running: g.running, starts: g.starts, queued: g.queued })) }
  }

  async typeSettingsPut({ type, settings: s }: { type: string; settings: TypeSettings }): Promise<void> {
    if (isUnlimited(s)) {
      await this.run(this.sql.typeSettingsDelete, [type])
      return
    }
    const rate = s.rate === null ? null : parseRate(s.rate)
    const groupRate = s.groupRate === null ? null : parseRate(s.groupRate, 'groupRate')
    await this.run(this.sql.typeSettingsPut, [
      type,
      s.paused,
      s.maxRunning,
      s.rate,
      rate?.n ?? null,
      rate?.windowMs ?? null,
      s.groupMaxRunning,
      s.groupRate,
      groupRate?.n ?? null,
      groupRate?.windowMs ?? null,
    ])
  }

  async taskComplete({ completions }: { droneId: string; completions: Completion[] }): Promise<{ refused: string[] }> {
    const valid = completions.filter((c) => isUuid(c.id)).sort(byId)
    const refused = completions.filter((c) => !isUuid(c.id)).map((c) => c.id)
    if (valid.length === 0) return { refused }
    const rows = await this.run<{ ord: number }>(this.sql.complete, [completionsJson(valid)])
    // By position, not id: a batch naming one task twice (two lease sequences) refuses the stale one.
    const applied = new Set(rows.map((r) => r.ord))
    valid.forEach((c, i) => {
      if (!applied.has(i + 1)) refused.push(c.id)
    })
    return { refused }
  }

  async taskLeaseExtend({ leases, leaseMs }: { droneId: string; leases: LeaseRef[]; leaseMs: number }): Promise<{ lost: string[] }> {
    const valid = leases.filter((l) => isUuid(l.id)).sort(byId)
    const lost = leases.filter((l) => !isUuid(l.id)).map((l) => l.id)
    if (valid.length === 0) return { lost }
    const rows = await this.run<{ id: string }>(this.sql.leaseExtend, [valid.map((l) => l.id), valid.map((l) => l.leaseSeq), leaseMs])
    const held = new Set(rows.map((r) => r.id))
    for (const l of valid) if (!held.has(l.id)) lost.push(l.id)
    return { lost }
  }

  async taskRescue({ graceMs, limit }: { graceMs: number; limit: number }): Promise<{ requeued: string[]; failed: string[] }> {
    const rows = await this.run<{ id: string; state: string }>(this.sql.rescue, [graceMs, limit, LEASE_EXPIRED_FORMAT])
    return { requeued: rows.filter((r) => r.state === 'queued').map((r) => r.id), failed: rows.filter((r) => r.state === 'failed').map((r) => r.id) }
  }

  taskCancel({ id }: { id: string }): Promise<Task | null> {
    return cancelTask(this.exec, this.sql, id)
  }

  taskRetry({ id }: { id: string }): Promise<Task | null> {
    return retryTask(this.exec, this.sql, id)
  }

  taskDelete({ id }: { id: string }): Promise<boolean> {
    return deleteTask(this.exec, this.sql, id)
  }

  private _bulk: BulkStatements | undefined
  taskBulkApply(params: BulkApplyParams): Promise<string[]> {
    return bulkApply(this.exec, (this._bulk ??= bulkStatements(this.schema)), params)
  }

  async taskLogInsertMany({ logs }: { logs: TaskLog[] }): Promise<void> {
    const valid = logs.filter((l) => isUuid(l.taskId))
    if (valid.length === 0) return
    await this.run(this.sql.logInsert, [
      valid.map((l) => l.taskId),
      valid.map((l) => l.attempt),
      valid.map((l) => l.level),
      valid.map((l) => textSafe(String(l.message))),
      valid.map((l) => logData(l.data)),
      valid.map((l) => l.at),
      valid.map((l) => l.stream ?? 'log'),
    ])
  }

  async taskLogList({ id, limit }: { id: string; limit?: number }): Promise<TaskLog[]> {
    if (!isUuid(id)) return []
    return (await this.run<LogRow>(this.sql.logList, [id, limit ?? 1000])).map(toLog)
  }

  async taskAttemptList({ id }: { id: string }): Promise<TaskAttempt[]> {
    if (!isUuid(id)) return []
    return (await this.run<AttemptRow>(this.sql.attemptList, [id])).map(toAttempt)
  }

  async statsGet(): Promise<QueueStats> {
    const rows = await this.run<{ type: string; state: keyof ReturnType<typeof emptyCounts>; n: number }>(this.sql.stats, [])
    const types: QueueStats['types'] = {}
    for (const r of rows) (types[r.type] ??= emptyCounts())[r.state] = r.n
    return { types, drones: await this.droneList() }
  }

  async droneUpsert({ drone }: { drone: DroneRecord }): Promise<void> {
    await this.run(this.sql.droneUpsert, [drone.id, drone.name, drone.host, drone.pid, JSON.stringify(drone.info ?? {})])
  }

  async droneRemove({ id }: { id: string }): Promise<void> {
    await this.run(this.sql.droneRemove, [id])
  }

  async droneList(params?: { seenWithinMs?: number }): Promise<DroneInfo[]> {
    return (await this.run<DroneRow>(this.sql.droneList, [params?.seenWithinMs ?? null])).map(toDrone)
  }

  async maintenanceLeaseTake({ holder, leaseMs }: { holder: string; leaseMs: number }): Promise<boolean> {
    return (await this.run(this.sql.leaseTake, [holder, leaseMs])).length > 0
  }

  async taskPrune({ retentionMs, limit }: { retentionMs: number; limit: number }): Promise<number> {
    const [row] = await this.run<{ n: number }>(this.sql.prune, [retentionMs, Math.max(1, Math.floor(limit))])
    return row?.n ?? 0
  }

  async droneForget({ silentMs }: { silentMs: number }): Promise<void> {
    await this.run(this.sql.dronePrune, [silentMs])
  }

  async settingsGet(): Promise<QueueSettings> {
    const rows = await this.run<{ name: string; value: unknown }>(this.sql.settingsGet, [])
    const settings: QueueSettings = { ...DEFAULT_SETTINGS }
    for (const r of rows) {
      if (r.name === 'retentionMs' && typeof r.value === 'number') settings.retentionMs = r.value
    }
    return settings
  }

  async settingsSet(params: Partial<QueueSettings>): Promise<QueueSettings> {
    // Validated once, at the door (Queue.setSettings).
    if (params.retentionMs !== undefined) {
      await this.run(this.sql.settingSet, ['retentionMs', JSON.stringify(params.retentionMs)])
    }
    return this.settingsGet()
  }

  async signalSubscribe(listener: (signal: QueueSignal) => void): Promise<Subscription> {
    if (this.closed) throw new SwarmageError('the queue is closed')
    const unsubscribe = this.listener.subscribe(listener)
    await this.listener.start()
    let open = true
    return {
      mode: () => (open ? this.listener.mode() : 'polling'),
      close: async () => {
        if (!open) return
        open = false
        unsubscribe()
        if (this.listener.subscriberCount === 0) await this.listener.stop()
      },
    }
  }

  async now(): Promise<Date> {
    const [row] = await this.run<{ now: Date }>(this.sql.now, [])
    return row!.now
  }

  async ping(): Promise<{ version: string; roundTripMs: number }> {
    const started = performance.now()
    const [row] = await this.query<{ v: string }>(`SELECT current_setting('server_version') AS v`, [], 'ping')
    const roundTripMs = Math.round((performance.now() - started) * 100) / 100
    return { version: `PostgreSQL ${row?.v ?? '?'}`, roundTripMs }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.listener.stop()
      await this.pool.end()
    })()
    return this.closed
  }

  /** Unnamed (not prepared) queries: those whose text varies, and one-offs. */
  private query<R>(text: string, values: unknown[], what: string): Promise<R[]> {
    return queryRows<R>(this.pool, { text }, values, what, this.onError)
  }
}
