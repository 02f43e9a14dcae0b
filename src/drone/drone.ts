import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { isAbsolute, join, resolve } from 'node:path'
import { validateConfig, validateDroneOptions, type DroneOptions, type WorkerDefinition } from '../core/config.ts'
import { errorMessage, InputError } from '../core/errors.ts'
import type { DroneEvent, DroneState, WorkerEvent } from '../core/events.ts'
import { validateTypeSettings, type TypeSettingsPatch } from '../core/flow.ts'
import { assertTaskType } from '../core/validate.ts'
import type { DroneChannel } from '../queue/drone-channel.ts'
import type { QueueSignal, Subscription } from '../queue/driver.ts'
import type { Queue } from '../queue/queue.ts'
import { ForkSpawner } from '../workers/fork-spawner.ts'
import type { ProcessSpawner } from '../workers/spawner.ts'
import { startProfile, takeHeapSnapshot, type ProfileRequest, type ProfileRun } from '../workers/profiling.ts'
import { Completer } from './completer.ts'
import { EventSink } from './event-sink.ts'
import { heartbeatService, hostName, maintenanceService, rescueService } from './housekeeping.ts'
import { LeaseKeeper } from './lease-keeper.ts'
import { Ledger, type Holding } from './ledger.ts'
import { LocalQueue, LocalQueueLockedError } from './local-queue.ts'
import { Loop } from './loop.ts'
import { Scheduler, type SchedulerOptions } from '../schedules/scheduler.ts'
import type { ScheduleDefinition } from '../schedules/definition.ts'
import { reconcile } from './reconcile.ts'
import type { Service } from './service.ts'
import { droneSettings, type DroneSettings } from './settings.ts'
import { TaskReports } from './reports.ts'
import { WorkerSet, type DroneProcessInfo } from './worker-set.ts'

export type { Holding } from './ledger.ts'

export interface DroneInit {
  queue: Queue
  /** Worker definitions by task type (one, or several sharing the type). */
  workers: Record<string, WorkerDefinition | WorkerDefinition[]>
  drone?: DroneOptions
  /** Folder relative module and local-queue paths are resolved against (the config file's). Default: cwd. */
  baseDir?: string
  /** How worker processes are spawned. Default: child_process.fork (ForkSpawner). */
  spawner?: ProcessSpawner
  /** Local queue database. Default: drone.localQueuePath, else <baseDir>/.swarmage/local/<name>.db. */
  localQueuePath?: string
  /** Schedules to apply on start (config `schedules`); every drone also runs the scheduler (src/schedules). */
  schedules?: Record<string, ScheduleDefinition>
  /** Scheduler options (an injected clock for tests, pollMs). */
  scheduler?: Omit<SchedulerOptions, 'schedules' | 'onError'>
  /**
   * Flow control to apply on start (config `types`), by type: the keys given replace the stored ones
   * before the first claim; keys left out keep what the CLI or console set (a restart does not undo
   * an operator's `swarmage pause`).
   */
  types?: Record<string, TypeSettingsPatch>
}

export interface DroneTypeSnapshot {
  type: string
  /** bufferPerWorker × processes, at least 2 × concurrency × processes (capacity.ts) */
  capacity: number
  /** in hand, not started (buffered locally or waiting in a worker process) */
  buffered: number
  running: number
  /** attempts succeeded since start */
  done: number
  /** attempts failed since start (retried or final) */
  failed: number
}

export interface DroneSnapshot {
  id: string
  name: string
  state: DroneState
  signals: 'push' | 'polling'
  /** true while pause() holds claiming; tasks in hand still run */
  paused: boolean
  types: DroneTypeSnapshot[]
  leases: { held: number; lost: number; lastExtendAt: number | null }
  processes: DroneProcessInfo[]
}

export type StopMode = 'drain' | 'now'

export interface StopOptions {
  /** 'drain' (default): running tasks get graceMs. 'now': kill the worker processes, hand everything back. */
  mode?: StopMode
}

/** Most suffixes tried for the default local queue (<name>-2, -3, …) before giving up. */
const MAX_NAME_SUFFIX = 100

/** A service and when the drain stops it: with the intake (first), or once everything in hand is settled (last). */
interface ServiceEntry {
  service: Service
  /** Lease extensions and heartbeats go on until every task in hand is settled. */
  untilSettled?: true
}

/**
 * Drone states (DroneState), every transition made by setState():
 *
 *   idle ──start()──▶ starting ──ok──▶ running ──stop()──▶ draining ──▶ stopped
 *     │                  └──error──▶ failed                    │ stop({ mode: 'now' }): kill workers, hand back
 *     └──stop()──▶ stopped                                     ▼
 *
 * A drone (CONTRACT.md#words): claims tasks from the global queue, buffers them in its local queue
 * and dispatches them by type to its worker processes. Its parts (docs/architecture.md#drone): the
 * ledger (the one owner of every task in hand), the loop (claims and dispatch), the worker set, the
 * completer, task reports, and services with idempotent start/stop, started and stopped from one
 * list. Each part gets only what it needs; the drone wires them and runs the state machine.
 */
export class Drone extends EventEmitter<{ event: [DroneEvent] }> {
  readonly id = randomUUID()
  readonly queue: Queue
  /** What the drone may do to the global queue (Queue.droneChannel()); each part gets only its members. */
  private readonly channel: DroneChannel
  readonly settings: DroneSettings
  private readonly events: EventSink
  private _name: string
  private readonly explicitName: boolean
  private readonly localPath: string | undefined
  private readonly baseDir: string
  private _state: DroneState = 'idle'
  private _draining = false
  private readonly ledger: Ledger
  private readonly workers: WorkerSet
  private readonly completer: Completer
  private readonly reports: TaskReports
  private readonly loop: Loop
  private readonly leaseKeeper: LeaseKeeper
  private readonly heartbeat: Service & { runNow(): Promise<void> }
  /** Started in this order once the drone is ready to claim; see drain() for the stop order. */
  private readonly services: ServiceEntry[]
  private readonly typeSettings: Array<[string, TypeSettingsPatch]>
  private subscription: Subscription | null = null
  private lastSignals: 'push' | 'polling' | undefined
  private startPromise: Promise<void> | undefined
  private stopMode: StopMode = 'drain'
  private workersStopping = false
  private stopPromise: Promise<void> | undefined

  constructor(init: DroneInit) {
    super()
    const options = validateDroneOptions(init.drone)
    const { workers } = validateConfig({ workers: init.workers }, 'drone')
    this.queue = init.queue
    const channel = (this.channel = init.queue.droneChannel())
    this.baseDir = init.baseDir ?? process.cwd()
    const settings = (this.settings = droneSettings(options))
    this.explicitName = options.name !== undefined
    // Checked here, not at start: a bad limit is a construction error naming the type, like a bad option.
    this.typeSettings = Object.entries(init.types ?? {}).map(([type, patch]) => {
      assertTaskType(type)
      return [type, validateTypeSettings(patch, type)]
    })
    this._name = options.name ?? hostName()
    const localPath = init.localQueuePath ?? options.localQueuePath
    this.localPath = localPath === undefined ? undefined : isAbsolute(localPath) ? localPath : resolve(this.baseDir, localPath)
    const droneId = this.id
    const onError = (err: unknown, where: string): void => this.reportError(err, where)
    const draining = (): boolean => this._draining
    this.events = new EventSink(this)

    // Built in dependency order; the few arrows back (reports → the pools' events, freed capacity →
    // the loop) are wired below, once both ends exist.
    this.workers = new WorkerSet({ settings, workers, baseDir: this.baseDir, spawner: init.spawner ?? new ForkSpawner() })
    this.completer = new Completer({
      droneId,
      complete: channel.complete,
      insertLogs: channel.insertLogs,
      beforeSend: () => this.ledger.flush(),
      onAcknowledged: (batch, refused) => this.ledger.acknowledge(batch, refused),
      onError,
    })
    this.ledger = new Ledger({
      events: this.events,
      send: (completions) => this.completer.add(completions),
      abort: (type, ids, reason) => this.workers.abort(type, ids, reason),
      leaseMs: settings.leaseMs,
      retry: { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs },
    })
    this.reports = new TaskReports({
      ledger: this.ledger,
      events: this.events,
      addLogs: (logs) => this.completer.addLogs(logs),
      insert: (tasks) => this.queue.insertValidated(tasks),
      limits: this.queue.limits,
      draining,
      onError,
    })
    this.loop = new Loop({ droneId, droneName: () => this._name, claim: channel.claim, ledger: this.ledger, workers: this.workers, leaseMs: settings.leaseMs, pollMs: settings.pollMs, draining, onError })
    this.ledger.onFreed = (type) => this.loop.freed(type)
    this.workers.on({
      items: (entry, workerId, pid, items) => this.reports.onItems(entry, workerId, pid, items),
      lost: (_entry, pid, tasks, reason) => this.reports.onLost(pid, tasks, reason),
      worker: (e) => this.onWorkerEvent(e),
    })
    this.leaseKeeper = new LeaseKeeper({ droneId, extendLeases: channel.extendLeases, ledger: this.ledger, leaseMs: settings.leaseMs, onError })
    this.heartbeat = heartbeatService({ register: channel.register, droneId, name: () => this._name, leaseMs: settings.leaseMs, info: () => this.summary(), onError })
    const scheduler = new Scheduler(this.queue, { ...init.scheduler, ...(init.schedules ? { schedules: init.schedules } : {}), onError: (e) => this.reportError(e, 'scheduler') })
    this.services = [
      { service: this.leaseKeeper, untilSettled: true },
      { service: this.heartbeat, untilSettled: true },
      { service: rescueService({ rescue: channel.rescue, leaseMs: settings.leaseMs, onRequeued: () => this.loop.wake(), onError }) },
      { service: maintenanceService({ maintain: channel.maintain, droneId, onError }) },
      { service: this.loop },
      { service: { name: 'scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() } },
    ]
  }

  /** The drone's name: options.name or the host name, with -2, -3… when another live drone has that local queue. */
  get name(): string {
    return this._name
  }

  get state(): DroneState {
    return this._state
  }

  get draining(): boolean {
    return this._draining
  }

  /** Starts the drone; resolves once it claims. Idempotent (a second call returns the same promise). */
  start(): Promise<void> {
    this.startPromise ??= this.run()
    return this.startPromise
  }

  /**
   * Stops the drone. `drain` (the default): nothing new is claimed, unstarted tasks are handed back
   * without using an attempt, running ones get graceMs to finish (then are handed back), outcomes are
   * flushed. `now`: the same, but the worker processes are killed at once (their tasks handed back)
   * and outcomes are sent once, not retried. Every call returns the one stop's promise; a `now` call
   * during a drain (or before the drain began) escalates it.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (options.mode === 'now') {
      this.stopMode = 'now'
      if (this._state === 'draining') this.stopNow()
    }
    this.stopPromise ??= this.drain()
    return this.stopPromise
  }

  /**
   * Stops claiming: tasks already in hand run to the end and their outcomes are recorded, leases
   * are kept, nothing new is taken from the global queue until resume(). Allowed before start():
   * the drone then starts its workers and joins the queue without claiming (a warm standby).
   */
  pause(): void {
    this.loop.paused = true
  }

  /** Claims again (at once, not at the next poll). */
  resume(): void {
    this.loop.paused = false
    this.loop.wake()
  }

  snapshot(): DroneSnapshot {
    const types: DroneTypeSnapshot[] = []
    for (const t of this.workers.byType.values()) {
      const c = this.ledger.countByState(t.type)
      const n = this.ledger.counts.get(t.type)
      types.push({ type: t.type, capacity: t.capacity, buffered: c.buffered + c.dispatched, running: c.started, done: n?.succeeded ?? 0, failed: n?.failed ?? 0 })
    }
    return {
      id: this.id,
      name: this._name,
      state: this._state,
      signals: this.loop.signals,
      paused: this.loop.paused,
      types,
      leases: { held: this.ledger.size, lost: this.ledger.leasesLost, lastExtendAt: this.leaseKeeper.lastExtendAt },
      processes: this.workers.processes(),
    }
  }

  /**
   * Every task in the drone's hands, in claim order: a copy (changing it changes nothing). For the
   * console's "what a drone holds" view; cheap enough to call per refresh (one pass over the tasks).
   */
  holdings(): Holding[] {
    return this.ledger.holdings()
  }

  /** The type of a task in this drone's hands (any state), or undefined: the console's postback map asks it of a postback's parent. */
  heldType(taskId: string): string | undefined {
    return this.ledger.get(taskId)?.type
  }

  /**
   * Hands one buffered task back to the global queue (Ledger.giveBack): claimable again by any
   * drone, no attempt used. False when the task is not held or no longer buffered (dispatched to a
   * worker, running, finishing). While this drone has room it may claim the task again: pause it
   * first to move its buffer to other drones.
   */
  handBack(taskId: string): boolean {
    if (this._state !== 'running') return false
    return this.ledger.giveBack(taskId) !== undefined
  }

  /** Gracefully replaces a type's worker processes (or one), optionally with the inspector on. */
  async restartWorkers(type: string, workerId?: string, options: { inspect?: boolean } = {}): Promise<void> {
    if (!this.workers.byType.has(type)) throw new InputError(`this drone has no workers for type "${type}"`)
    await this.workers.restart(type, workerId, options)
  }

  /**
   * A console debug session on the process `pid` of `type` ("debug the next task of type T"): every
   * next task of the type is dispatched to that process until unpinDebug(), or until the process stops
   * taking tasks (it exits or is replaced); the type's other processes finish what they hold and get
   * nothing new meanwhile, other types are untouched. False when no ready process of the type has that pid.
   */
  pinDebug(type: string, pid: number): boolean {
    return this.workers.pin(type, pid)
  }

  /** Ends pinDebug()'s routing: the tasks buffered meanwhile go to every process of the type again. */
  unpinDebug(type: string, pid: number): void {
    this.workers.unpin(type, pid)
    if (this._state === 'running') this.loop.freed(type)
  }

  /**
   * Runs the next `tasks` tasks of a type (or of one process) under the V8 CPU profiler: one part per
   * process, N split as src/workers/profiling.ts says. Throws when no process of the type is ready.
   */
  profile(type: string, request: ProfileRequest): ProfileRun {
    return startProfile(this.workers.profiledPools(type, request.workerId), request)
  }

  /** A heap snapshot of one process of the type (its first ready one by default), chunk by chunk to `write`. */
  heapSnapshot(type: string, opts: { workerId?: string | undefined; maxBytes?: number; write: (chunk: string) => void }): ReturnType<typeof takeHeapSnapshot> {
    const pools = this.workers.profiledPools(type, opts.workerId)
    return takeHeapSnapshot(pools[0]!, opts)
  }

  reportError(err: unknown, where: string): void {
    const message = `${where}: ${errorMessage(err)}`
    if (this.listenerCount('event') > 0) this.emit('event', { kind: 'drone-state', state: this._state, at: Date.now(), error: { message } })
    else process.stderr.write(`[swarmage drone ${this._name}] ${message}\n`)
  }

  private async run(): Promise<void> {
    if (this._state !== 'idle') throw new InputError(`a ${this._state} drone cannot start again; create a new Drone`)
    this.setState('starting')
    try {
      // Migrates only when the schema check fails (a least-privilege role has no DDL rights).
      await this.channel.ensureSchema()
      // Before any claim, so this drone's first claim already obeys the configured limits.
      for (const [type, patch] of this.typeSettings) await this.queue.setTypeSettings(type, patch)
      this.openLocal()
      await this.workers.start()
      await this.heartbeat.runNow()
      await reconcile(this.ledger, () => this.completer.idle())
      this.subscription = await this.channel.subscribe((s) => this.onSignal(s))
      this.loop.subscription = this.subscription
      this.lastSignals = this.loop.signals
      for (const { service } of this.services) await service.start()
      this.setState('running')
      // The registry row is the one record of the drone's state (issue 16): rewritten on the change, not
      // at the next heartbeat 10 s later (until then Cluster said "starting · polling").
      await this.heartbeat.runNow()
    } catch (err) {
      this._draining = true
      await Promise.allSettled(this.services.map(({ service }) => service.stop()))
      this.completer.stop()
      await this.workers.stop(0)
      await this.subscription?.close().catch(() => undefined)
      await this.channel.unregister({ id: this.id }).catch(() => undefined)
      this.ledger.close()
      this.setState('failed', err)
      throw err
    }
  }

  private openLocal(): void {
    const local = this.openLocalFile()
    local.onError = (err) => this.reportError(err, 'local queue')
    this.events.gate = local
    this.ledger.attach(local)
  }

  private openLocalFile(): LocalQueue {
    if (this.localPath !== undefined) return LocalQueue.open({ path: this.localPath })
    const base = this._name
    const file = base.replace(/[^A-Za-z0-9_.-]/g, '_')
    for (let n = 1; n <= MAX_NAME_SUFFIX; n++) {
      const suffix = n === 1 ? '' : `-${n}`
      try {
        const local = LocalQueue.open({ path: join(this.baseDir, '.swarmage', 'local', `${file}${suffix}.db`) })
        this._name = `${base}${suffix}`
        return local
      } catch (err) {
        if (!(err instanceof LocalQueueLockedError)) throw err
      }
    }
    throw new InputError(`${MAX_NAME_SUFFIX} drones named ${base}${this.explicitName ? '' : ' (the host name)'} already run from ${this.baseDir}`)
  }

  private async drain(): Promise<void> {
    if (this.startPromise) await this.startPromise.catch(() => undefined)
    if (this._state === 'idle') this.setState('stopped')
    if (this._state !== 'running') return
    this._draining = true
    this.setState('draining')
    void this.heartbeat.runNow() // the registry row says draining at once (stopped: the row is removed below)
    // The intake first (claims, rescues, maintenance, schedules), in reverse start order.
    await Promise.all(this.services.filter((e) => !e.untilSettled).reverse().map(({ service }) => service.stop()))
    for (const t of this.ledger.list({ state: 'buffered' })) this.ledger.handback(t)
    const now = this.stopMode === 'now'
    const workersStopped = this.workers.stop(now ? 0 : this.settings.graceMs)
    // The pools are stopping now (synchronously), so a kill from here on is reported as 'shutdown'
    // (handed back) and respawns nothing; a kill before this would look like a crash.
    this.workersStopping = true
    if (now) this.stopNow()
    await workersStopped
    // Whatever the pools did not report (a process gone without a word) goes back too.
    for (const t of this.ledger.list()) if (t.state !== 'done') this.ledger.handback(t)
    await this.completer.idle()
    // Then what kept the leases and the drone's registration alive.
    await Promise.all(this.services.filter((e) => e.untilSettled).reverse().map(({ service }) => service.stop()))
    await this.subscription?.close().catch((err: unknown) => this.reportError(err, 'signals'))
    await this.channel.unregister({ id: this.id }).catch((err: unknown) => this.reportError(err, 'unregister'))
    this.ledger.close()
    this.setState('stopped')
  }

  /** stop({ mode: 'now' }) while draining: kill the worker processes (their tasks are handed back) and send once, no retries. */
  private stopNow(): void {
    if (this.workersStopping) this.workers.killAll()
    this.completer.stop()
  }

  private onSignal(signal: QueueSignal): void {
    if (this._state !== 'running') return
    if (signal.kind === 'cancel') this.ledger.cancelled(signal.ids)
    else if (!signal.types || signal.types.some((t) => this.workers.byType.has(t))) this.loop.wake()
  }

  private onWorkerEvent(e: WorkerEvent): void {
    if (this.listenerCount('event') > 0) this.emit('event', e)
    // A new or replaced process has free slots: fill them. An exit too: a debug pin on the process
    // ended with it, and the type's other processes may be idle with tasks buffered.
    if ((e.kind === 'worker-ready' || e.kind === 'worker-exited') && this._state === 'running') this.loop.dispatch(e.type)
  }

  private summary(): Record<string, unknown> {
    const signals = this.loop.signals
    if (this.lastSignals !== undefined && signals !== this.lastSignals) {
      this.lastSignals = signals
      if (this.listenerCount('event') > 0) this.emit('event', { kind: 'drone-state', state: this._state, at: Date.now(), signals })
    }
    const s = this.snapshot()
    // leaseMs: how long a silent drone still counts as live (`swarmage why`, src/debug/why.ts).
    return { state: s.state, signals: s.signals, types: s.types, leases: s.leases, processes: s.processes.length, leaseMs: this.settings.leaseMs }
  }

  private setState(state: DroneState, err?: unknown): void {
    this._state = state
    if (this.listenerCount('event') === 0) return
    const e: DroneEvent = { kind: 'drone-state', state, at: Date.now(), signals: this.loop.signals }
    if (err !== undefined) e.error = { message: errorMessage(err) }
    this.emit('event', e)
  }
}
