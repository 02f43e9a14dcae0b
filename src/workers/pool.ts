/**
 * WorkerPool: the worker processes of ONE worker definition (a type with several definitions gets
 * several pools; the drone balances between them). It spawns them, dispatches tasks to the least
 * loaded, forwards what they report, enforces task timeouts by abort-then-kill, replaces processes
 * that die (with a crash-loop backoff), and recycles them by task count or memory.
 *
 * Capacity: a process holds up to `concurrency + prefetch` tasks; the host runs `concurrency` and
 * keeps the rest queued, so it never idles while the drone's next `run` is in flight.
 */
import { EventEmitter } from 'node:events'
import { WorkerModuleError } from '../core/errors.ts'
import type { WorkerEvent, WorkerProcessState } from '../core/events.ts'
import type { TaskError } from '../core/task.ts'
import type { AbortReason, FromWorker, RunItem, ToWorker, WorkerItem } from './protocol.ts'
import { PoolProcess, type LostReason, type Slot } from './pool-process.ts'
import type { ProcessSpawner } from './spawner.ts'

export type { LostReason } from './pool-process.ts'

export interface WorkerPoolOptions {
  type: string
  /** Prefix of worker ids ("<id>#1"…); default `type`. Give each definition of one type its own. */
  id?: string
  /** Absolute path of the user's module. */
  modulePath: string
  config: unknown
  processes: number
  concurrency: number
  /** Used for tasks whose RunItem.timeoutMs is 0. */
  taskTimeoutMs: number
  /** Tasks in hand per process beyond `concurrency`; default `concurrency`. */
  prefetch?: number
  /** Recycle a process after it finished this many tasks. Default: never. */
  maxTasksPerProcess?: number
  /** Recycle a process whose RSS is above this. Default: never. */
  maxRssMb?: number
  spawner: ProcessSpawner
  /** After a timeout abort (and after a stop's grace), how long before the process is killed. Default 1000. */
  killGraceMs?: number
}

export interface LostTask {
  id: string
  started: boolean
  /** Why this task is lost (the timed-out one says it exceeded its timeout). */
  error: TaskError
}

export interface WorkerProcessInfo {
  workerId: string
  pid: number
  state: WorkerProcessState
  /** Started task ids. */
  running: string[]
  inHand: number
  done: number
  failed: number
  rssBytes: number
  cpuPercent: number
  restarts: number
  inspectUrl?: string
}

export interface WorkerPoolEvents {
  items: [workerId: string, pid: number, items: WorkerItem[]]
  /**
   * A process died holding tasks. Started ones used an attempt (fail them, unless reason is
   * 'shutdown', where the drone hands them back); unstarted ones can be dispatched again.
   */
  lost: [workerId: string, pid: number, tasks: LostTask[], reason: LostReason, error: { message: string }]
  worker: [event: WorkerEvent]
  /** A profile's or heap snapshot's messages (src/workers/profiling.ts listens). */
  profiling: [workerId: string, pid: number, message: ProfilingMessage]
}

/** What a worker process sends back for a profile or a heap snapshot. */
export type ProfilingMessage = Extract<FromWorker, { t: 'profile-progress' | 'chunk' | 'profile-end' | 'heap-end' }>

/** Crash-loop backoff: 100 ms doubling to 5 s; a process up for 10 s resets it. */
const BACKOFF_BASE_MS = 100
const BACKOFF_MAX_MS = 5_000
const BACKOFF_RESET_AFTER_MS = 10_000

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly type: string
  private readonly opts: Required<Omit<WorkerPoolOptions, 'maxTasksPerProcess' | 'maxRssMb' | 'id'>> &
    Pick<WorkerPoolOptions, 'maxTasksPerProcess' | 'maxRssMb'>
  /** Tasks one process holds at most (`concurrency + prefetch`): all a pinned pool takes. */
  readonly capacity: number
  private readonly slots: Slot[] = []
  /** Which process holds each task in hand. */
  private readonly owner = new Map<string, PoolProcess>()
  private startPromise: Promise<void> | undefined
  private stopPromise: Promise<void> | undefined
  private stopping = false
  /**
   * A console debug session's process (pin()): while it can take tasks, it gets every task of this
   * pool, so the next task of the type stops at the session's breakpoints. The process itself, not
   * its slot: a replacement (a crash, a recycle) comes back without the inspector, and the pin with it.
   */
  private pinned: PoolProcess | undefined

  constructor(options: WorkerPoolOptions) {
    super()
    this.type = options.type
    for (const key of ['processes', 'concurrency'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) throw new RangeError(`WorkerPool: ${key} must be a positive integer`)
    }
    this.opts = {
      ...options,
      prefetch: options.prefetch ?? options.concurrency,
      killGraceMs: options.killGraceMs ?? 1_000,
    }
    this.capacity = options.concurrency + this.opts.prefetch
    const id = options.id ?? options.type
    for (let i = 0; i < options.processes; i++) {
      this.slots.push({ index: i, workerId: `${id}#${i + 1}`, current: undefined, restarts: 0, crashStreak: 0, respawnTimer: undefined })
    }
  }

  /** Spawns every process and waits until all loaded the module. Idempotent. */
  start(): Promise<void> {
    this.startPromise ??= (async () => {
      if (this.stopping) throw new Error(`The ${this.type} worker pool was stopped; create a new one`)
      const procs = this.slots.map((slot) => this.spawn(slot, false))
      const results = await Promise.allSettled(procs.map((p) => p.ready))
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failure && this.stopping) return // stop() was called while starting: not a module error
      if (failure) {
        await this.stop(0)
        const cause = failure.reason as Error
        throw new WorkerModuleError(cause.message, { cause })
      }
    })()
    return this.startPromise
  }

  /** How many more tasks dispatch() would take now. */
  freeSlots(): number {
    // Called on every dispatch round: a loop over the slots, no array built, unless a pin holds.
    const pin = this.livePin()
    if (pin) return Math.max(0, this.capacity - pin.inHand.size)
    let free = 0
    for (const slot of this.slots) {
      const p = slot.current
      if (p?.dispatchable) free += Math.max(0, this.capacity - p.inHand.size)
    }
    return free
  }

  /**
   * Sends every next task to the process `pid` (a debug session's) while it takes tasks: true when it
   * is one of this pool's and dispatchable. The others finish what they hold and get nothing new until
   * unpin(), or until the pinned process stops taking tasks (it exits, is recycled or restarted): the
   * pool then dispatches to all again by itself, so no task waits on a process that is gone.
   */
  pin(pid: number): boolean {
    const p = this.slots.find((s) => s.current?.pid === pid)?.current
    if (!p?.dispatchable) return false
    this.pinned = p
    return true
  }

  /** Ends a pin (only the one on `pid` when given: a newer pin on another process stays). */
  unpin(pid?: number): void {
    if (pid === undefined || this.pinned?.pid === pid) this.pinned = undefined
  }

  /** The pinned process's pid while the pin holds (it still takes tasks), else undefined. */
  pinnedPid(): number | undefined {
    return this.livePin()?.pid
  }

  private livePin(): PoolProcess | undefined {
    if (this.pinned && !this.pinned.dispatchable) this.pinned = undefined
    return this.pinned
  }

  /** The processes dispatch() may use: the pinned one alone while its pin holds. */
  private targets(): PoolProcess[] {
    const pin = this.livePin()
    if (pin) return [pin]
    return this.slots.map((s) => s.current).filter((p): p is PoolProcess => p?.dispatchable === true)
  }

  /** Assigns tasks to the least-loaded processes, one `run` message per process; the rest are left out. */
  dispatch(tasks: RunItem[]): Array<{ id: string; workerId: string; pid: number }> {
    const out: Array<{ id: string; workerId: string; pid: number }> = []
    if (this.stopping) return out
    const procs = this.targets()
    const batches = new Map<PoolProcess, RunItem[]>()
    for (const task of tasks) {
      let best: PoolProcess | undefined
      for (const p of procs) {
        if (p.inHand.size < this.capacity && (!best || p.inHand.size < best.inHand.size)) best = p
      }
      if (!best) break
      // The host enforces the timeout on its own clock too, and names it in the abort reason. A process
      // with the inspector on has none (0): a breakpoint holds its task for as long as someone looks.
      const timeoutMs = best.inspectUrl ? 0 : task.timeoutMs > 0 ? task.timeoutMs : this.opts.taskTimeoutMs
      const item = task.timeoutMs === timeoutMs ? task : { ...task, timeoutMs }
      best.inHand.set(task.id, { item, started: false, startedAt: 0, killTimer: undefined })
      this.owner.set(task.id, best)
      let batch = batches.get(best)
      if (!batch) batches.set(best, (batch = []))
      batch.push(item)
      out.push({ id: task.id, workerId: best.workerId, pid: best.pid })
    }
    for (const [p, batch] of batches) p.handle.send({ t: 'run', tasks: batch })
    return out
  }

  /** Aborts tasks in hand: unstarted ones come back as `released` items, running ones see their signal abort. */
  abort(ids: string[], reason: AbortReason): void {
    const byProc = new Map<PoolProcess, string[]>()
    for (const id of ids) {
      const p = this.owner.get(id)
      if (!p?.alive) continue
      const list = byProc.get(p)
      if (list) list.push(id)
      else byProc.set(p, [id])
    }
    for (const [p, list] of byProc) p.handle.send({ t: 'abort', ids: list, reason })
  }

  /**
   * Answers a process's `enqueue` items. Pass the pid from the `items` event: a reply meant for a
   * process that has since been replaced (same workerId) is then dropped instead of misdelivered.
   */
  replyEnqueue(workerId: string, replies: Array<{ reqId: number; id?: string; error?: string }>, pid?: number): void {
    const p = this.slots.find((s) => s.workerId === workerId)?.current
    if (!p?.alive || (pid !== undefined && p.pid !== pid)) return
    p.handle.send({ t: 'enqueued', replies })
  }

  /**
   * Sends a profiling request to one live process (or every one): their answers come as `profiling`
   * events. Returns the processes it reached.
   */
  sendProfiling(workerId: string | undefined, message: Extract<ToWorker, { t: 'profile-start' | 'profile-stop' | 'heap-snapshot' }>): Array<{ workerId: string; pid: number }> {
    const out: Array<{ workerId: string; pid: number }> = []
    for (const slot of this.slots) {
      const p = slot.current
      if (!p || p.phase !== 'ready' || (workerId !== undefined && p.workerId !== workerId)) continue
      p.handle.send(message)
      out.push({ workerId: p.workerId, pid: p.pid })
    }
    return out
  }

  processes(): WorkerProcessInfo[] {
    const out: WorkerProcessInfo[] = []
    for (const slot of this.slots) {
      const p = slot.current
      if (!p) continue
      const running: string[] = []
      for (const [id, h] of p.inHand) if (h.started) running.push(id)
      const info: WorkerProcessInfo = {
        workerId: p.workerId,
        pid: p.pid,
        state: p.state,
        running,
        inHand: p.inHand.size,
        done: p.done,
        failed: p.failed,
        rssBytes: p.rssBytes,
        cpuPercent: p.cpuPercent,
        restarts: p.restarts,
      }
      if (p.inspectUrl) info.inspectUrl = p.inspectUrl
      out.push(info)
    }
    return out
  }

  /**
   * Gracefully replaces one process (or all): it takes no new tasks, releases unstarted ones, gets
   * `graceMs` (default taskTimeoutMs) for running ones, is killed after that plus killGraceMs
   * (tasks reported lost, reason 'recycled'); then a new one starts, with the inspector if asked.
   * Resolves when the new process is ready.
   */
  async restart(workerId?: string, opts: { inspect?: boolean; graceMs?: number } = {}): Promise<void> {
    const slots = workerId === undefined ? this.slots : this.slots.filter((s) => s.workerId === workerId)
    if (slots.length === 0) throw new RangeError(`No worker process ${workerId} in the ${this.type} pool`)
    await Promise.all(
      slots.map(async (slot) => {
        const old = slot.current
        if (old?.alive) {
          old.noRespawn = true
          this.stopProcess(old, opts.graceMs ?? this.opts.taskTimeoutMs, 'recycled')
          await old.exited
        }
        if (this.stopping) return
        if (slot.respawnTimer) clearTimeout(slot.respawnTimer)
        slot.respawnTimer = undefined
        slot.restarts++
        const p = this.spawn(slot, opts.inspect === true)
        await p.ready.catch((err: Error) => {
          throw new WorkerModuleError(err.message, { cause: err })
        })
      }),
    )
  }

  /** Shuts every process down: unstarted tasks are released, running ones get graceMs, then kill. Idempotent. */
  stop(graceMs: number): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping = true
      const waits: Array<Promise<void>> = []
      for (const slot of this.slots) {
        if (slot.respawnTimer) clearTimeout(slot.respawnTimer)
        slot.respawnTimer = undefined
        const p = slot.current
        if (!p) continue
        if (p.alive) this.stopProcess(p, graceMs, 'shutdown')
        waits.push(p.exited)
      }
      await Promise.all(waits)
    })()
    return this.stopPromise
  }

  private spawn(slot: Slot, inspect: boolean): PoolProcess {
    const handle = this.opts.spawner.spawn({ name: slot.workerId, ...(inspect ? { inspectPort: 0 } : {}) })
    const p = new PoolProcess(slot, handle, slot.restarts, (proc, id) => this.onTimeout(proc, id))
    slot.current = p
    handle.onMessage((m) => this.onMessage(p, m))
    handle.onExit((code, signal) => this.onExit(p, code, signal))
    this.emitWorker('worker-spawned', p)
    try {
      handle.send({ t: 'init', type: this.type, modulePath: this.opts.modulePath, config: this.opts.config, concurrency: this.opts.concurrency })
    } catch (err) {
      // A config holding functions or class instances cannot cross the structured-clone boundary.
      const message = `The config of worker ${p.workerId} (${this.opts.modulePath}) cannot be sent to its process: ${err instanceof Error ? err.message : String(err)}`
      p.initError = { message }
      p.rejectReady(new Error(message))
      this.emitWorker('worker-error', p, { error: { message } })
      p.phase = 'stopping'
      p.endReason = 'crashed'
      handle.kill()
    }
    return p
  }

  private onMessage(p: PoolProcess, m: FromWorker): void {
    switch (m.t) {
      case 'ready':
        if (p.phase !== 'starting') return
        p.phase = 'ready'
        p.inspectUrl = m.inspectUrl
        p.resolveReady()
        this.emitWorker('worker-ready', p)
        return
      case 'init-error':
        p.initError = m.error
        p.rejectReady(Object.assign(new Error(m.error.message), m.error.stack ? { stack: m.error.stack } : {}))
        this.emitWorker('worker-error', p, { error: m.error })
        this.stopProcess(p, 0, 'crashed')
        return
      case 'items':
        this.onItems(p, m.items)
        return
      case 'stats':
        p.recordCpu(m.cpuUserUs + m.cpuSystemUs, m.rssBytes)
        if (this.opts.maxRssMb !== undefined && m.rssBytes > this.opts.maxRssMb * 1024 * 1024) this.retire(p)
        return
      case 'bye':
        return
      case 'profile-progress':
      case 'chunk':
      case 'profile-end':
      case 'heap-end':
        this.emit('profiling', p.workerId, p.pid, m)
        return
    }
  }

  private onItems(p: PoolProcess, items: WorkerItem[]): void {
    for (const item of items) {
      switch (item.k) {
        case 'started': {
          const h = p.inHand.get(item.id)
          if (!h) break
          h.started = true
          h.startedAt = Date.now()
          const timeoutMs = p.inspectUrl ? 0 : h.item.timeoutMs > 0 ? h.item.timeoutMs : this.opts.taskTimeoutMs
          if (timeoutMs > 0) p.timeouts.add(item.id, timeoutMs)
          break
        }
        case 'succeeded':
        case 'failed':
        case 'released': {
          const h = p.inHand.get(item.id)
          if (!h) break
          p.clearTimers(item.id, h)
          p.inHand.delete(item.id)
          if (this.owner.get(item.id) === p) this.owner.delete(item.id)
          if (item.k === 'succeeded') p.done++
          else if (item.k === 'failed') p.failed++
          break
        }
        default:
          break
      }
    }
    const max = this.opts.maxTasksPerProcess
    if (max !== undefined && p.done + p.failed >= max) this.retire(p)
    // Not `else`: a process already retiring (no longer dispatchable, so retire() returns early) must
    // still be stopped once its last task is done, or it lingers and its slot is never replaced.
    if (p.retiring) this.maybeStopRetired(p)
    // After the bookkeeping, so a listener that dispatches sees the freed capacity.
    this.emit('items', p.workerId, p.pid, items)
  }

  /** Past its timeout: abort now (the host also does on its own clock), kill if still running after killGraceMs. */
  private onTimeout(p: PoolProcess, id: string): void {
    const h = p.inHand.get(id)
    if (!h || !p.alive) return
    const timeoutMs = h.item.timeoutMs > 0 ? h.item.timeoutMs : this.opts.taskTimeoutMs
    p.handle.send({ t: 'abort', ids: [id], reason: 'timeout' })
    h.killTimer = setTimeout(() => {
      if (!p.inHand.has(id) || !p.alive) return
      p.timedOut = { id, timeoutMs }
      p.endReason = 'timeout'
      this.emitWorker('worker-error', p, { error: { message: `task ${id} exceeded its timeout of ${timeoutMs} ms; killing the process` } })
      p.handle.kill()
    }, this.opts.killGraceMs)
  }

  private retire(p: PoolProcess): void {
    if (!p.dispatchable) return
    p.retiring = true
    this.maybeStopRetired(p)
  }

  private maybeStopRetired(p: PoolProcess): void {
    if (p.inHand.size === 0 && p.phase === 'ready') this.stopProcess(p, this.opts.taskTimeoutMs, 'recycled')
  }

  /** Sends shutdown; kills after graceMs + killGraceMs if it has not exited by then. */
  private stopProcess(p: PoolProcess, graceMs: number, reason: LostReason): void {
    if (!p.alive || p.phase === 'stopping') return
    p.phase = 'stopping'
    p.endReason ??= reason
    p.handle.send({ t: 'shutdown', graceMs })
    p.stopKillTimer = setTimeout(() => p.handle.kill(), graceMs + this.opts.killGraceMs)
  }

  private onExit(p: PoolProcess, code: number | null, signal: string | null): void {
    const expected = p.phase === 'stopping' && p.initError === undefined && p.endReason !== 'timeout'
    p.phase = expected ? 'exited' : 'crashed'
    if (p.stopKillTimer) clearTimeout(p.stopKillTimer)
    const reason: LostReason = p.endReason ?? 'crashed'
    const processError = p.endDescription(reason, code, signal)
    // No-op once ready; otherwise start()/restart() learn why it never got there.
    p.rejectReady(
      new Error(p.initError?.message ?? `Worker process ${p.workerId} for ${this.opts.modulePath} ended before it was ready: ${processError}`),
    )
    const lost: LostTask[] = []
    for (const [id, h] of p.inHand) {
      p.clearTimers(id, h)
      if (this.owner.get(id) === p) this.owner.delete(id)
      lost.push({ id, started: h.started, error: { message: p.lostMessage(id, reason, code, signal, this.opts.killGraceMs) } })
    }
    p.inHand.clear()
    const extra: Partial<WorkerEvent> = { code, signal }
    if (!expected && p.initError === undefined) extra.error = { message: processError }
    this.emitWorker('worker-exited', p, extra)
    if (lost.length > 0) this.emit('lost', p.workerId, p.pid, lost, reason, { message: processError })
    p.resolveExited()
    this.respawnAfterExit(p)
  }

  private respawnAfterExit(p: PoolProcess): void {
    const slot = p.slot
    if (this.stopping || slot.current !== p || p.noRespawn) return
    let delay = 0
    // A timeout kill or a recycle is our doing: replace at once. Crashes and broken modules back off.
    if (p.initError !== undefined || (p.phase === 'crashed' && p.endReason !== 'timeout')) {
      if (Date.now() - p.spawnedAt >= BACKOFF_RESET_AFTER_MS) slot.crashStreak = 0
      delay = Math.min(BACKOFF_BASE_MS * 2 ** slot.crashStreak, BACKOFF_MAX_MS)
      slot.crashStreak++
    }
    slot.respawnTimer = setTimeout(() => {
      slot.respawnTimer = undefined
      if (this.stopping || slot.current !== p) return
      slot.restarts++
      this.spawn(slot, false)
    }, delay)
  }

  private emitWorker(kind: WorkerEvent['kind'], p: PoolProcess, extra: Partial<WorkerEvent> = {}): void {
    const event: WorkerEvent = { kind, type: this.type, workerId: p.workerId, pid: p.pid, at: Date.now(), ...extra }
    if (kind === 'worker-ready' && p.inspectUrl) event.inspectUrl = p.inspectUrl
    this.emit('worker', event)
  }
}
