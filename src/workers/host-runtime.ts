/**
 * The inside of a worker process, independent of how it talks to its drone (host.ts picks Electron's
 * parentPort or Node's IPC channel). It loads the user's module on `init`, runs at most `concurrency`
 * tasks at once and keeps the rest of a `run` batch queued in hand (the drone prefetches so a process
 * never idles waiting for a round trip), and reports everything as `WorkerItem`s flushed once per turn
 * of the event loop: 10,000 no-op tasks finishing in one turn cost one message, not 20,000.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import inspector from 'node:inspector'
import type { WorkerContext } from './api.ts'
import { loadWorkerModule, type LoadedWorker } from './load-module.ts'
import type { AbortReason, FromWorker, RunItem, ToWorker, WorkerItem } from './protocol.ts'

export interface HostTransport {
  send(message: FromWorker): void
  /** Sends the last message and ends the process once it is delivered. */
  sendLastAndExit(message: FromWorker): void
}

/** `signal.reason` of an aborted task: `reason` says which of cancel, timeout, shutdown, lease loss. */
export class TaskAbortedError extends Error {
  override name = 'AbortError'
  constructor(
    readonly reason: AbortReason,
    message: string,
  ) {
    super(message)
  }
}

interface Running {
  item: RunItem
  controller: AbortController
  timer: NodeJS.Timeout | undefined
  aborted: AbortReason | undefined
}

/** Stats cadence: the pool derives CPU % and decides RSS recycling from these. */
const STATS_MS = 1_000

export class HostRuntime {
  private worker: LoadedWorker | undefined
  private initState: 'none' | 'loading' | 'ready' | 'failed' = 'none'
  private type = ''
  private config: unknown = undefined
  private concurrency = 1
  /** Prefetched tasks not started yet, FIFO; `head` avoids O(n) shifts on big batches. */
  private queue: RunItem[] = []
  private head = 0
  private readonly running = new Map<string, Running>()
  private items: WorkerItem[] = []
  private flushScheduled = false
  private nextReqId = 1
  private readonly enqueueReplies = new Map<number, { resolve: (id: string) => void; reject: (err: Error) => void }>()
  private shuttingDown = false
  private graceTimer: NodeJS.Timeout | undefined
  private finishing = false
  /** The task whose code is running, so an unhandled rejection fails that task and not the process. */
  private readonly taskContext = new AsyncLocalStorage<string>()

  constructor(private readonly transport: HostTransport) {
    setInterval(() => this.sendStats(), STATS_MS).unref()
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
    this.config = message.config
    this.concurrency = Math.max(1, message.concurrency)
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

  private pump(): void {
    if (!this.worker || this.shuttingDown) return
    while (this.running.size < this.concurrency && this.head < this.queue.length) {
      const item = this.queue[this.head++]!
      this.start(item, this.worker)
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  private start(item: RunItem, worker: LoadedWorker): void {
    const controller = new AbortController()
    const running: Running = { item, controller, timer: undefined, aborted: undefined }
    this.running.set(item.id, running)
    if (item.timeoutMs > 0) running.timer = setTimeout(() => this.abort(item.id, 'timeout'), item.timeoutMs)
    this.push({ k: 'started', id: item.id, at: Date.now() })
    const ctx = this.context(item, controller.signal)
    void this.taskContext.run(item.id, async () => {
      try {
        const result = await worker.run(JSON.parse(item.payloadJson), ctx)
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
    })
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

  private finish(id: string, item: WorkerItem): void {
    const running = this.running.get(id)
    if (!running) return // already failed by an unhandled rejection
    if (running.timer) clearTimeout(running.timer)
    this.running.delete(id)
    this.push(item)
    if (this.shuttingDown) {
      if (this.running.size === 0) void this.finishShutdown()
    } else {
      this.pump()
    }
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
    if (running.controller.signal.aborted) return
    running.aborted = reason
    running.controller.abort(new TaskAbortedError(reason, abortMessage(reason, running.item)))
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

  private context(item: RunItem, signal: AbortSignal): WorkerContext {
    const id = item.id
    const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, data?: unknown) => {
      const entry: WorkerItem = { k: 'log', id, level, message: String(message), at: Date.now() }
      if (data !== undefined) entry.data = cloneable(data)
      this.push(entry)
    }
    return {
      task: { id, type: item.type, attempt: item.attempt, maxAttempts: item.maxAttempts, parentId: item.parentId },
      config: this.config,
      signal,
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      progress: (value: unknown) => this.push({ k: 'progress', id, value: cloneable(value), at: Date.now() }),
      enqueue: (type, payload, options) =>
        new Promise<string>((resolve, reject) => {
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
          this.push({ k: 'enqueue', reqId, parentId: id, type: String(type), payload: payloadCopy, options: optionsCopy })
        }),
    }
  }

  private setupLog(): WorkerContext['log'] {
    const write = (level: string) => (message: string, data?: unknown) =>
      process.stderr.write(`[swarmage worker ${this.type}] ${level}: ${message}${data === undefined ? '' : ` ${safeJson(data) ?? ''}`}\n`)
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
  }

  private push(item: WorkerItem): void {
    this.items.push(item)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.flush())
    }
  }

  private flush(): void {
    this.flushScheduled = false
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

function abortMessage(reason: AbortReason, item: RunItem): string {
  switch (reason) {
    case 'timeout':
      return `Task exceeded its timeout of ${item.timeoutMs} ms`
    case 'cancelled':
      return 'Task was cancelled'
    case 'shutdown':
      return 'Task was aborted: the worker is shutting down'
    case 'lease-lost':
      return "Task was aborted: the drone lost the task's lease"
  }
}

/** Log data and progress values cross a structured-clone boundary: keep them plain JSON. */
function cloneable(value: unknown): unknown {
  try {
    const json = JSON.stringify(value)
    return json === undefined ? String(value) : JSON.parse(json)
  } catch {
    return String(value)
  }
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}
