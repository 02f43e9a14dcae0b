/**
 * Replay (CONTRACT.md "Debugging"; docs/architecture.md#replay): runs one task once in a fresh worker
 * process on this machine — the same host a drone forks (src/workers/host.ts), speaking the same
 * protocol — against a chosen worker module, with the task's payload (or another), attempt number
 * and the definition's config. Nothing touches any queue: this module never sees one. The caller
 * reads the task first; postbacks are answered with an id that exists nowhere ("would enqueue").
 *
 * `swarmage replay` prints what it reports; the console runs it the same way and streams `onEvent`.
 */
import { randomUUID } from 'node:crypto'
import { SwarmageError } from '../core/errors.ts'
import type { Task, TaskError } from '../core/task.ts'
import type { LogStream } from '../queue/driver.ts'
import { ForkSpawner } from '../workers/fork-spawner.ts'
import type { FromWorker, RunItem, WorkerItem } from '../workers/protocol.ts'
import type { ProcessSpawner, WorkerProcessHandle } from '../workers/spawner.ts'

export interface ReplayInput {
  /** The task as read from its queue (only these fields are used). */
  task: Pick<Task, 'id' | 'type' | 'payload' | 'attempts' | 'maxAttempts' | 'parentId'>
  /** Absolute path or file: URL of the worker module. */
  modulePath: string
  /** The worker definition's config (ctx.config, setup's config). */
  config?: unknown
  /** Runs with this payload instead of the task's. */
  payload?: unknown
  /**
   * Starts the process with the inspector on this port (0: any free one), waits for a debugger to
   * attach, then pauses just before the handler (ReplayEvent 'ready' carries the ws:// address).
   */
  inspectPort?: number
  /** Aborts the task's signal after this long (ms); 0 or absent: no timeout. */
  timeoutMs?: number
  /** How the process is started; default child_process.fork. */
  spawner?: ProcessSpawner
  /** Everything as it happens: for live output (the CLI's lines, the console's stream). */
  onEvent?: (event: ReplayEvent) => void
  /** Ends the replay: the process is killed and the replay fails with this reason. */
  signal?: AbortSignal
}

export interface ReplayLog {
  level: 'debug' | 'info' | 'warn' | 'error'
  stream: LogStream
  message: string
  data?: unknown
  at: string
}

export interface ReplayPostback {
  /** An id made up for the handler to hold: no task has it. */
  id: string
  type: string
  payload: unknown
  options: Record<string, unknown>
}

export type ReplayEvent =
  | { kind: 'ready'; pid: number; inspectUrl?: string }
  /**
   * With inspectPort: the process now waits for a debugger at `inspectUrl`. Sent only once it waits
   * (the host blocks right after reporting the start), so a client that attaches on this event is
   * never too early: one attached before the wait would not release it (Runtime.runIfWaitingForDebugger
   * is sent on attach).
   */
  | { kind: 'waiting-for-debugger'; inspectUrl: string }
  | { kind: 'started' }
  | ({ kind: 'log' } & ReplayLog)
  | ({ kind: 'postback' } & ReplayPostback)
  | { kind: 'progress'; value: unknown }

export interface ReplayResult {
  /** 'succeeded' when the handler returned, 'failed' when it threw (or its process died). */
  outcome: 'succeeded' | 'failed'
  result?: unknown
  error?: TaskError
  attempt: number
  pid: number | null
  logs: ReplayLog[]
  postbacks: ReplayPostback[]
  /** From the handler's start to its outcome. */
  durationMs: number | null
}

/** Time a finished replay's process gets to run teardown() and exit before it is killed. */
const SHUTDOWN_GRACE_MS = 5_000

export function replay(input: ReplayInput): Promise<ReplayResult> {
  return new Promise<ReplayResult>((resolve, reject) => {
    const attempt = Math.max(1, input.task.attempts)
    const emit = input.onEvent ?? (() => undefined)
    const spawner = input.spawner ?? new ForkSpawner()
    const logs: ReplayLog[] = []
    const postbacks: ReplayPostback[] = []
    let pid: number | null = null
    let inspectUrl: string | undefined
    let startedAt: number | null = null
    let result: ReplayResult | null = null
    let failure: Error | null = null
    let killTimer: NodeJS.Timeout | undefined

    let payloadJson: string
    try {
      payloadJson = JSON.stringify(input.payload === undefined ? input.task.payload : input.payload) ?? 'null'
    } catch (err) {
      reject(new SwarmageError(`the replay's payload is not JSON: ${(err as Error).message}`))
      return
    }
    const handle: WorkerProcessHandle = spawner.spawn({
      name: `replay:${input.task.type}`,
      ...(input.inspectPort !== undefined ? { inspectPort: input.inspectPort } : {}),
    })
    const finish = (r: ReplayResult): void => {
      if (result || failure) return
      result = r
      handle.send({ t: 'shutdown', graceMs: 0 })
      killTimer = setTimeout(() => handle.kill(), SHUTDOWN_GRACE_MS)
    }
    const fail = (err: Error): void => {
      if (result || failure) return
      failure = err
      handle.kill()
    }
    const onAbort = (): void => fail(new SwarmageError(`replay aborted: ${String(input.signal?.reason ?? 'aborted')}`))
    if (input.signal?.aborted) onAbort()
    input.signal?.addEventListener('abort', onAbort, { once: true })

    const item: RunItem = {
      id: input.task.id,
      type: input.task.type,
      payloadJson,
      attempt,
      maxAttempts: input.task.maxAttempts,
      parentId: input.task.parentId,
      timeoutMs: input.timeoutMs ?? 0,
    }
    const onItem = (it: WorkerItem): void => {
      const outcome = { attempt, pid, logs, postbacks, durationMs: startedAt === null ? null : Math.max(0, Date.now() - startedAt) }
      switch (it.k) {
        case 'started':
          startedAt = Date.now()
          if (input.inspectPort !== undefined && inspectUrl !== undefined) emit({ kind: 'waiting-for-debugger', inspectUrl })
          emit({ kind: 'started' })
          return
        // runMs: the handler's own run time, measured in the worker (no IPC, no debugger wait).
        case 'succeeded':
          finish({ ...outcome, durationMs: ms(it.runMs) ?? outcome.durationMs, outcome: 'succeeded', result: JSON.parse(it.resultJson) as unknown })
          return
        case 'failed':
          finish({ ...outcome, durationMs: ms(it.runMs) ?? outcome.durationMs, outcome: 'failed', error: it.error })
          return
        case 'released':
          fail(new SwarmageError('the worker process gave the task back without running it'))
          return
        case 'log': {
          const log: ReplayLog = { level: it.level, stream: it.stream ?? 'log', message: it.message, at: new Date(it.at).toISOString() }
          if (it.data !== undefined) log.data = it.data
          logs.push(log)
          emit({ kind: 'log', ...log })
          return
        }
        case 'progress':
          emit({ kind: 'progress', value: it.value })
          return
        case 'enqueue': {
          // Answered, never stored: the handler goes on as if its postback were enqueued.
          const postback: ReplayPostback = { id: randomUUID(), type: it.type, payload: it.payload, options: it.options }
          postbacks.push(postback)
          emit({ kind: 'postback', ...postback })
          handle.send({ t: 'enqueued', replies: [{ reqId: it.reqId, id: postback.id }] })
          return
        }
      }
    }
    handle.onMessage((m: FromWorker) => {
      switch (m.t) {
        case 'ready':
          pid = m.pid
          inspectUrl = m.inspectUrl
          emit(m.inspectUrl ? { kind: 'ready', pid: m.pid, inspectUrl: m.inspectUrl } : { kind: 'ready', pid: m.pid })
          handle.send({ t: 'run', tasks: [item] })
          return
        case 'init-error':
          fail(new SwarmageError(`the worker module ${input.modulePath} did not load: ${m.error.message}`))
          return
        case 'items':
          for (const it of m.items) onItem(it)
          return
        default:
          return
      }
    })
    handle.onExit((code, signal) => {
      clearTimeout(killTimer)
      input.signal?.removeEventListener('abort', onAbort)
      if (result) return resolve(result)
      if (failure) return reject(failure)
      // Died mid-task (process.exit, a crash): the attempt failed, as a drone would record it.
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
      resolve({
        outcome: 'failed',
        error: { message: `the worker process ${how} before the handler finished` },
        attempt,
        pid,
        logs,
        postbacks,
        durationMs: startedAt === null ? null : Date.now() - startedAt,
      })
    })
    handle.send({
      t: 'init',
      type: input.task.type,
      modulePath: input.modulePath,
      config: input.config,
      concurrency: 1,
      echoOutput: false,
      breakBeforeRun: input.inspectPort !== undefined,
    })
  })
}

/** A run time rounded to 0.01 ms (performance.now() gives float noise below that). */
function ms(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 100) / 100
}
