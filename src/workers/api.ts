import type { EnqueueOptions } from '../core/task.ts'

/** What a worker module's `run` receives as `ctx` (CONTRACT.md#a-worker-module). */
export interface WorkerContext<Config = unknown> {
  task: { id: string; type: string; attempt: number; maxAttempts: number; parentId: string | null }
  config: Config
  /** Aborts on cancel, timeout and shutdown; `signal.reason` says which. */
  signal: AbortSignal
  log: {
    debug(message: string, data?: unknown): void
    info(message: string, data?: unknown): void
    warn(message: string, data?: unknown): void
    error(message: string, data?: unknown): void
  }
  progress(value: unknown): void
  /** Enqueues a postback (its parentId is this task); resolves to the new task's id. */
  enqueue(type: string, payload?: unknown, options?: Omit<EnqueueOptions, 'parentId'>): Promise<string>
}

export interface SetupContext<Config = unknown> {
  config: Config
  type: string
  log: WorkerContext['log']
}

export type WorkerFunction<P = any, R = unknown, C = any> = (payload: P, ctx: WorkerContext<C>) => R | Promise<R>

export interface WorkerObject<P = any, R = unknown, C = any> {
  setup?(config: C, ctx: SetupContext<C>): void | Promise<void>
  run(payload: P, ctx: WorkerContext<C>): R | Promise<R>
  teardown?(): void | Promise<void>
}

export type WorkerModule<P = any, R = unknown, C = any> = WorkerFunction<P, R, C> | WorkerObject<P, R, C>

/** Identity helper that types a worker module's default export. */
export function defineWorker<P = any, R = unknown, C = any>(worker: WorkerModule<P, R, C>): WorkerModule<P, R, C> {
  return worker
}
