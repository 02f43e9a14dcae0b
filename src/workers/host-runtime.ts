/**
 * The inside of a worker process, independent of how it talks to its drone (host.ts picks Electron's
 * parentPort or Node's IPC channel). It loads the user's module on `init`, runs at most `concurrency`
 * tasks at once and keeps the rest of a `run` batch queued in hand (the drone prefetches so a process
 * never idles waiting for a round trip), and reports everything as `WorkerItem`s flushed once per turn
 * of the event loop: 10,000 no-op tasks finishing in one turn cost one message, not 20,000.
 *
 * Starting is batched too, and `started` reaches the drone BEFORE user code runs: a turn starts every
 * task it has room for, sends one message (their `started` items, and whatever finished before), and
 * only then calls `run` for each. A task that kills its process at once is therefore known to have
 * started (its attempt counts), and an innocent task queued behind it is known not to have.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import inspector from 'node:inspector'
import type { WorkerContext } from './api.ts'
import { loadWorkerModule, type LoadedWorker } from './load-module.ts'
import { HostProfiler } from './host-profiler.ts'
import { OutputCapture } from './output-capture.ts'
import type { AbortReason, FromWorker, RunItem, ToWorker, WorkerItem } from './protocol.ts'
import { TaskContext } from './task-context.ts'
import { failSpan, parentWithin, startRunSpan, tracedEnqueue, withContext, type RunTrace } from '../tracing/tracing.ts'
import { TimeoutWheel } from './timeout-wheel.ts'

export { TaskAbortedError } from './task-context.ts'

export interface HostTransport {
  send(message: FromWorker): void
  /** Sends the last message and ends the process once it is delivered. */
  sendLastAndExit(message: FromWorker): void
  /**
   * True once the drone that started this process is gone. Its last `run` messages can still be in the
   * pipe when it dies and are read before the channel's end: tasks started from them would run while
   * their lease runs out and run again elsewhere, so none is started (host.ts exits the process).
   */
  orphaned?(): boolean
}

/** Stats cadence: the pool derives CPU % and decides RSS recycling from these. */
const STATS_MS = 1_000

export class HostRuntime {
  private worker: LoadedWorker | undefined
  private initState: 'none' | 'loading' | 'ready' | 'failed' = 'none'
  private type = ''
  private config_: unknown = undefined
  private concurrency = 1
  /** Prefetched tasks not started yet, FIFO; `head` avoids O(n) shifts on big batches. */
  private queue: RunItem[] = []
  private head = 0
  private readonly running = new Map<string, TaskContext>()
  /**
   * performance.now() when each running task's handler was called: run time is measured on one
   * monotonic clock in this process (two epoch clocks, the worker's start and the drone's end, made
   * the Flow view show "-0.46 ms" runs: issue 16).
   */
  private readonly runStarts = new Map<string, number>()
  /** Task timeouts on one timer (the pool enforces them too, and kills when they are ignored). */
  private readonly timeouts = new TimeoutWheel<string>((id) => this.abort(id, 'timeout'))
  private items: WorkerItem[] = []
  private turnScheduled = false
  private nextReqId = 1
  private readonly enqueueReplies = new Map<number, { resolve: (id: string) => void; reject: (err: Error) => void }>()
  private shuttingDown = false
  private graceTimer: NodeJS.Timeout | undefined
  private finishing = false
  /** The task whose code is running, so an unhandled rejection fails that task and not the process. */
  private readonly taskContext = new AsyncLocalStorage<string>()
  private breakBeforeRun = false
  /** stdout/stderr of running tasks as their log lines; host.ts installs it in a worker process. */
  readonly output = new OutputCapture(
    () => this.taskContext.getStore(),
    (id) => this.running.has(id),
    (item) => this.push(item),
  )

  /** CPU profiles and heap snapshots of this process (the console's Profiles view). */
  private readonly profiler: HostProfiler

  constructor(private readonly transport: HostTransport) {
    this.profiler = new HostProfiler((m) => transport.send(m))
    setInterval(() => this.sendStats(), STATS_MS).unref()
  }

  get config(): unknown {
    return this.config_
  }

  handle(message: ToWorker): void {
    switch (message.t) {
      case 'init':
        void this.init(message)
        return
      case 'run':
        if (this.shuttingDown) {
          for (const task of message.tasks) this.push({ k: 'released', id: task.id, at: Date.now() })
          return
        }
        for (const task of message.tasks) this.queue.push(task)
        this.pump()
        return
      case 'abort':
        for (const id of message.ids) this.abort(id, message.reason)
        return
      case 'enqueued':
        for (const reply of message.replies) {
          const pending = this.enqueueReplies.get(reply.reqId)
          if (!pending) continue
          this.enqueueReplies.delete(reply.reqId)
          if (reply.id !== undefined) pending.resolve(reply.id)
          else pending.reject(new Error(reply.error ?? 'the drone refused the enqueue'))
        }
        return
      case 'shutdown':
        this.shutdown(message.graceMs)
        return
      case 'profile-start':
      case 'profile-stop':
      case 'heap-snapshot':
        // Items of tasks that finished in this turn leave first: the profile's end never overtakes them.
        this.flush()
        this.profiler.handle(message)
        return
    }
  }

  /** An unhandled rejection fails the task whose code raised it; outside any task it is logged. */
  onUnhandledRejection(reason: unknown): void {
    const id = this.taskContext.getStore()
    if (id !== undefined && this.running.has(id)) {
      this.fail(id, reason, 'Unhandled promise rejection in the task: ')
      return
    }
    const e = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)
    process.stderr.write(`[swarmage worker ${this.type} pid ${process.pid}] unhandled promise rejection: ${e}\n`)
  }

  private async init(message: Extract<ToWorker, { t: 'init' }>): Promise<void> {
    if (this.initState !== 'none') return
    this.initState = 'loading'
    this.type = message.type
    this.config_ = message.config
    this.concurrency = Math.max(1, message.concurrency)
    if (message.echoOutput === false) this.output.echo = false
    this.breakBeforeRun = message.breakBeforeRun === true
    try {
      const worker = await loadWorkerModule(message.modulePath)
      if (worker.setup) {
        try {
          await worker.setup(message.config, { config: message.config, type: message.type, log: this.setupLog() })
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err))
          throw Object.assign(new Error(`Worker module ${message.modulePath} failed in setup(): ${e.message}`), { stack: e.stack })
        }
      }
      this.worker = worker
      this.initState = 'ready'
    } catch (err) {
      this.initState = 'failed'
      const e = err instanceof Error ? err : new Error(String(err))
      this.transport.send({ t: 'init-error', error: e.stack ? { message: e.message, stack: e.stack } : { message: e.message } })
      if (this.shuttingDown) void this.finishShutdown()
      return
    }
    if (this.shuttingDown) return this.finishShutdown()
    const inspectUrl = inspector.url()
    this.transport.send(inspectUrl ? { t: 'ready', pid: process.pid, inspectUrl } : { t: 'ready', pid: process.pid })
    this.sendStats() // so the pool shows memory from the start, not a second later
    this.pump()
  }

  /**
   * Starts as many queued tasks as there is room for: marks them running, sends one message with
   * their `started` items (and anything pending), then runs each.
   */
  private pump(): void {
    const worker = this.worker
    if (!worker || this.shuttingDown || this.transport.orphaned?.()) return
    let batch: TaskContext[] | undefined
    // Sub-millisecond epoch time (same clock as Date.now()): 'started' is what latency is measured by.
    const at = performance.timeOrigin + performance.now()
    while (this.running.size < this.concurrency && this.head < this.queue.length) {
      const item = this.queue[this.head++]!
      const ctx = new TaskContext(this, item)
      this.running.set(item.id, ctx)
      if (item.timeoutMs > 0) this.timeouts.add(item.id, item.timeoutMs)
      this.items.push({ k: 'started', id: item.id, at })
      ;(batch ??= []).push(ctx)
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    if (!batch) return
    this.flush()
    for (const ctx of batch) this.start(ctx, worker)
  }

  private start(ctx: TaskContext, worker: LoadedWorker): void {
    const item = ctx.item
    // The run span is active around the handler: its spans nest under it (none without an SDK or a trace).
    const trace = (ctx.trace = startRunSpan(item))
    void this.taskContext.run(item.id, () => {
      // The debugger's wait (replay --inspect) is not run time.
      if (this.breakBeforeRun) waitForDebugger()
      this.profiler.taskStarted(item.id)
      this.runStarts.set(item.id, performance.now())
      return (trace ? withContext(trace.context, () => this.runHandler(ctx, worker)) : this.runHandler(ctx, worker))
    })
  }

  private async runHandler(ctx: TaskContext, worker: LoadedWorker): Promise<void> {
    const item = ctx.item
    try {
      const payload: unknown = JSON.parse(item.payloadJson)
      if (this.breakBeforeRun && inspector.url()) {
        // The pause `replay --inspect` (and the console's replay with the debugger) asks for: the next
        // statement is the handler's call, so "step into" enters it.
        // eslint-disable-next-line no-debugger -- a no-op without a debugger
        debugger
      }
      const result = await worker.run(payload, ctx)
      let resultJson: string | undefined
      try {
        resultJson = JSON.stringify(result ?? null)
      } catch (err) {
        throw new Error(`The task's result is not serializable to JSON: ${err instanceof Error ? err.message : String(err)}`)
      }
      if (resultJson === undefined) throw new Error(`The task's result is not serializable to JSON (a ${typeof result})`)
      this.finish(item.id, { k: 'succeeded', id: item.id, resultJson, at: Date.now() })
    } catch (err) {
      this.fail(item.id, err, '')
    }
  }

  private fail(id: string, err: unknown, prefix: string): void {
    const running = this.running.get(id)
    if (!running) return
    const e = err instanceof Error ? err : undefined
    const message = prefix + (e ? e.message : typeof err === 'string' ? err : (safeJson(err) ?? String(err)))
    const item: WorkerItem = {
      k: 'failed',
      id,
      error: e?.stack ? { message, stack: e.stack } : { message },
      permanent: (err as { permanent?: unknown } | null)?.permanent === true,
      at: Date.now(),
    }
    if (running.aborted) item.aborted = running.aborted
    this.finish(id, item)
  }

  /** Records an outcome; freed slots are filled at the end of the turn, all finished ones together. */
  private finish(id: string, item: WorkerItem): void {
    const ctx = this.running.get(id)
    if (!ctx || !this.running.delete(id)) return // already failed by an unhandled rejection
    if (ctx.trace) {
      if (item.k === 'failed') failSpan(ctx.trace.span, item.error)
      ctx.trace.span.end()
    }
    this.timeouts.delete(id)
    const t0 = this.runStarts.get(id)
    this.runStarts.delete(id)
    if (t0 !== undefined && (item.k === 'succeeded' || item.k === 'failed')) item.runMs = Math.max(0, performance.now() - t0)
    this.output.end(id) // its last lines go before its outcome
    this.push(item)
    if (this.profiler.covers(id)) {
      // Its outcome leaves before the profile can end with it (a task detail links to a stored profile).
      this.flush()
      this.profiler.taskFinished(id)
    }
    if (this.shuttingDown && this.running.size === 0) void this.finishShutdown()
  }

  private abort(id: string, reason: AbortReason): void {
    const running = this.running.get(id)
    if (!running) {
      for (let i = this.head; i < this.queue.length; i++) {
        if (this.queue[i]!.id !== id) continue
        this.queue.splice(i, 1)
        this.push({ k: 'released', id, at: Date.now() })
        return
      }
      return
    }
    running.abort(reason)
  }

  private shutdown(graceMs: number): void {
    if (this.shuttingDown) return
    this.shuttingDown = true
    for (let i = this.head; i < this.queue.length; i++) this.push({ k: 'released', id: this.queue[i]!.id, at: Date.now() })
    this.queue = []
    this.head = 0
    // Still loading: init() finishes the shutdown once the module is in (so teardown matches setup).
    if (this.initState === 'loading') return
    if (this.running.size === 0) {
      void this.finishShutdown()
      return
    }
    this.graceTimer = setTimeout(() => {
      for (const id of this.running.keys()) this.abort(id, 'shutdown')
    }, graceMs)
  }

  private async finishShutdown(): Promise<void> {
    if (this.finishing) return
    this.finishing = true
    if (this.graceTimer) clearTimeout(this.graceTimer)
    if (this.worker?.teardown) {
      try {
        await this.worker.teardown()
      } catch (err) {
        process.stderr.write(`[swarmage worker ${this.type} pid ${process.pid}] teardown() threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      }
    }
    this.flush()
    this.transport.sendLastAndExit({ t: 'bye' })
  }

  /** ctx.enqueue: a postback item; the drone answers with an `enqueued` reply. */
  enqueue(parentId: string, type: string, payload: unknown, options: unknown, trace?: RunTrace): Promise<string> {
    // The postback's enqueue span, ended when the drone has stored the task: a child of the active
    // span when that is inside this run's trace (a span the handler opened), else of the run's.
    return tracedEnqueue([String(type)], (traceparent) => this.postback(parentId, type, payload, options, traceparent), trace && parentWithin(trace))
  }

  private postback(parentId: string, type: string, payload: unknown, options: unknown, traceparent: string | null): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let payloadCopy: unknown
      let optionsCopy: Record<string, unknown>
      try {
        payloadCopy = payload === undefined ? null : JSON.parse(JSON.stringify(payload) ?? 'null')
        optionsCopy = JSON.parse(JSON.stringify(options ?? {})) as Record<string, unknown>
      } catch (err) {
        reject(new Error(`ctx.enqueue(${JSON.stringify(type)}): payload or options are not JSON-serializable: ${err instanceof Error ? err.message : String(err)}`))
        return
      }
      const reqId = this.nextReqId++
      this.enqueueReplies.set(reqId, { resolve, reject })
      const item: WorkerItem = { k: 'enqueue', reqId, parentId, type: String(type), payload: payloadCopy, options: optionsCopy }
      if (traceparent) item.traceparent = traceparent
      this.push(item)
    })
  }

  private setupLog(): WorkerContext['log'] {
    const write = (level: string) => (message: string, data?: unknown) =>
      process.stderr.write(`[swarmage worker ${this.type}] ${level}: ${message}${data === undefined ? '' : ` ${safeJson(data) ?? ''}`}\n`)
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
  }

  /** Queues an item for the end of the turn (then freed slots are filled and one message leaves). */
  push(item: WorkerItem): void {
    this.items.push(item)
    if (!this.turnScheduled) {
      this.turnScheduled = true
      setImmediate(this.turn)
    }
  }

  private readonly turn = (): void => {
    this.turnScheduled = false
    this.pump()
    this.flush()
  }

  private flush(): void {
    if (this.items.length === 0) return
    const items = this.items
    this.items = []
    this.transport.send({ t: 'items', items })
  }

  private sendStats(): void {
    const cpu = process.cpuUsage()
    this.transport.send({ t: 'stats', rssBytes: process.memoryUsage.rss(), cpuUserUs: cpu.user, cpuSystemUs: cpu.system })
  }
}

/**
 * `swarmage replay --inspect`: blocks until a debugger attaches (and says run); runHandler then
 * pauses one step before the handler, with the breakpoints set meanwhile.
 */
function waitForDebugger(): void {
  if (!inspector.url()) return
  inspector.waitForDebugger()
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}
