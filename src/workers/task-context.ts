/**
 * The `ctx` a task's run receives, built cheaply: one object per task whose `signal`, `log`,
 * `progress` and `enqueue` are made on first use (getters), so a no-op task costs no AbortController
 * and no closures. Each getter returns a function bound to its task, so `const { log, enqueue } =
 * ctx` works as with a plain object. An abort before `signal` was read yields an already-aborted signal.
 */
import type { WorkerContext } from './api.ts'
import type { AbortReason, RunItem, WorkerItem } from './protocol.ts'
import type { RunTrace } from '../tracing/tracing.ts'

export interface TaskContextHost {
  readonly config: unknown
  push(item: WorkerItem): void
  /** Sends an enqueue item and resolves with the new task's id (see HostRuntime); `trace`: the run's, its span's parent. */
  enqueue(parentId: string, type: string, payload: unknown, options: unknown, trace?: RunTrace): Promise<string>
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

export class TaskContext implements WorkerContext {
  readonly task: WorkerContext['task']
  /** Why the task was aborted, once it was. */
  aborted: AbortReason | undefined
  /** The run's span and context (src/tracing), set as it starts. */
  trace: RunTrace | undefined
  private controller: AbortController | undefined
  private abortError: TaskAbortedError | undefined
  private _log: WorkerContext['log'] | undefined
  private _progress: WorkerContext['progress'] | undefined
  private _enqueue: WorkerContext['enqueue'] | undefined

  constructor(
    private readonly host: TaskContextHost,
    readonly item: RunItem,
  ) {
    this.task = { id: item.id, type: item.type, attempt: item.attempt, maxAttempts: item.maxAttempts, parentId: item.parentId }
  }

  get config(): unknown {
    return this.host.config
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.abortError) this.controller.abort(this.abortError)
    }
    return this.controller.signal
  }

  /** Aborts the task's signal (once); false when it was aborted already. */
  abort(reason: AbortReason): boolean {
    if (this.aborted) return false
    this.aborted = reason
    this.abortError = new TaskAbortedError(reason, abortMessage(reason, this.item))
    this.controller?.abort(this.abortError)
    return true
  }

  get log(): WorkerContext['log'] {
    if (!this._log) {
      const id = this.item.id
      const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, data?: unknown) => {
        const entry: WorkerItem = { k: 'log', id, level, message: String(message), at: Date.now() }
        if (data !== undefined) entry.data = cloneable(data)
        this.host.push(entry)
      }
      this._log = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
    }
    return this._log
  }

  get progress(): WorkerContext['progress'] {
    const id = this.item.id
    this._progress ??= (value: unknown) => this.host.push({ k: 'progress', id, value: cloneable(value), at: Date.now() })
    return this._progress
  }

  get enqueue(): WorkerContext['enqueue'] {
    this._enqueue ??= (type, payload, options) => this.host.enqueue(this.item.id, type, payload, options, this.trace)
    return this._enqueue
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
export function cloneable(value: unknown): unknown {
  try {
    const json = JSON.stringify(value)
    return json === undefined ? String(value) : JSON.parse(json)
  } catch {
    return String(value)
  }
}
