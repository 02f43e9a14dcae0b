/**
 * Replay from the console: a task run once more in a scratch worker process on the console's machine,
 * against its definition's module (or another file) with its payload (or an edited one). Nothing is
 * written to any queue: postbacks come back as "would enqueue" events, with made-up ids the handler
 * sees; logs, the result or the error (with its stack) are pushed live as `replay` events.
 *
 * The interface the console relies on is `ReplayRunner`: `swarmage replay`'s library function
 * (src/debug/replay.ts) stands behind it: `processReplayRunner`.
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DRONE_DEFAULTS } from '../core/config.ts'
import { InputError, NotFoundError } from '../core/errors.ts'
import type { Task, TaskError } from '../core/task.ts'
import type { Queue } from '../queue/queue.ts'
import type { DebugSessionView, DebugTarget } from '../debug/protocol.ts'
import { withTimeout } from '../core/timeout.ts'
import { replay } from '../debug/replay.ts'
import type { LogStream } from '../queue/driver.ts'
import type { ProcessSpawner } from '../workers/spawner.ts'

export interface ReplayRequest {
  task: Task
  /** absolute path of the worker module to run */
  module: string
  payload: unknown
  config: unknown
  taskTimeoutMs: number
  /**
   * With the debugger: the process starts with the inspector (127.0.0.1, any free port), runs no
   * timeout, and waits for the console to attach before the handler ('waiting-for-debugger').
   */
  debug?: boolean
}

export type ReplayEvent =
  | { kind: 'started'; module: string; pid: number }
  /** with the debugger: the process waits at its inspector (runner), then the console's session holds it paused (Replays) */
  | { kind: 'waiting-for-debugger'; inspectUrl: string; pid: number }
  | { kind: 'debugging'; sessionId: string; inspectUrl: string }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; stream?: LogStream; message: string; data?: unknown; at: number }
  /** a postback the handler made: shown, never enqueued; `id` is what the handler was given */
  | { kind: 'would-enqueue'; id: string; type: string; payload: unknown; options: Record<string, unknown> }
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'failed'; error: TaskError }

/**
 * Runs one replay to its end, reporting as it goes; resolves after the last event ('succeeded' or
 * 'failed'). `signal` ends it early (its process is killed): a replay whose debugger never came.
 */
export type ReplayRunner = (request: ReplayRequest, onEvent: (event: ReplayEvent) => void, signal?: AbortSignal) => Promise<void>

/**
 * The runner: `replay()` of src/debug/replay.ts, the same function `swarmage replay` runs (a fresh
 * process of the drone's own worker host, never a queue), its events mapped to the console's.
 */
export function processReplayRunner(spawner?: ProcessSpawner): ReplayRunner {
  return async (req, onEvent, signal) => {
    let pid = 0
    let started = false
    const result = await replay({
      task: req.task,
      modulePath: req.module,
      config: req.config,
      payload: req.payload,
      // Under the debugger a pause is not a hang: no timeout, as a drone's inspected process.
      timeoutMs: req.debug ? 0 : req.taskTimeoutMs,
      ...(req.debug ? { inspectPort: 0 } : {}),
      ...(spawner ? { spawner } : {}),
      ...(signal ? { signal } : {}),
      onEvent: (e) => {
        if (e.kind === 'ready') pid = e.pid
        // replay() announces the wait before the start; the console shows the start first.
        else if (e.kind === 'waiting-for-debugger') {
          started = true
          onEvent({ kind: 'started', module: req.module, pid })
          onEvent({ kind: 'waiting-for-debugger', inspectUrl: e.inspectUrl, pid })
        } else if (e.kind === 'started' && !started) onEvent({ kind: 'started', module: req.module, pid })
        else if (e.kind === 'log') onEvent({ kind: 'log', level: e.level, stream: e.stream, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}), at: Date.parse(e.at) })
        else if (e.kind === 'postback') onEvent({ kind: 'would-enqueue', id: e.id, type: e.type, payload: e.payload, options: e.options })
      },
    })
    if (result.outcome === 'succeeded') onEvent({ kind: 'succeeded', result: result.result })
    else onEvent({ kind: 'failed', error: result.error ?? { message: 'the replay failed' } })
  }
}

/** Opens the console's debug session on a replay's process, released to its pause before the handler. */
export type ReplayDebugger = (target: DebugTarget) => Promise<DebugSessionView>

/** How long a replay's process may take to reach its inspector wait (it loads the module and runs setup() first). */
const DEBUGGER_WAIT_MS = 60_000

/** Replays under way, by id; each pushes its events as they come. */
export class Replays {
  private readonly running = new Map<string, Promise<void>>()
  /** Replays whose process waits for the debugger and has no session yet: nothing would ever release them. */
  private readonly awaitingDebugger = new Set<AbortController>()

  constructor(
    private readonly runner: ReplayRunner,
    private readonly push: (replayId: string, event: ReplayEvent) => void,
    private readonly debugger_?: ReplayDebugger,
  ) {}

  /**
   * Starts a replay. Without the debugger it answers at once; with it, once the console's debug
   * session holds the process paused before the handler (the answer carries that session), or with
   * the reason it could not (the process is then killed, and the replay ends 'failed').
   */
  async start(request: ReplayRequest, connectionId = ''): Promise<{ replayId: string; module: string; session?: DebugSessionView }> {
    const replayId = randomUUID()
    const abort = new AbortController()
    let waiting: ((inspectUrl: string, pid: number) => void) | undefined
    let ended: ((err: Error) => void) | undefined
    const inspector =
      request.debug && this.debugger_
        ? new Promise<{ inspectUrl: string; pid: number }>((resolve, reject) => {
            waiting = (inspectUrl, pid) => resolve({ inspectUrl, pid })
            ended = reject
          })
        : null
    const run = this.runner(
      request,
      (e) => {
        if (e.kind === 'waiting-for-debugger') waiting?.(e.inspectUrl, e.pid)
        // Before the handler ran: the module did not load or its setup() threw, an input error of this call.
        if (e.kind === 'failed') ended?.(new InputError(`module: the replay failed before the debugger attached: ${e.error.message}`))
        this.push(replayId, e)
      },
      abort.signal,
    )
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err)
        ended?.(new InputError(`module: ${message}`))
        this.push(replayId, { kind: 'failed', error: { message } })
      })
      .finally(() => {
        ended?.(new Error('the replay ended before the debugger attached'))
        this.running.delete(replayId)
      })
    this.running.set(replayId, run)
    if (!inspector || !this.debugger_) return { replayId, module: request.module }
    this.awaitingDebugger.add(abort)
    try {
      const { inspectUrl, pid: processPid } = await withTimeout(inspector, DEBUGGER_WAIT_MS, `the replay's process did not wait for a debugger within ${DEBUGGER_WAIT_MS / 1000} s`)
      const session = await this.debugger_({
        droneId: '',
        droneName: '',
        type: request.task.type,
        workerId: `replay:${replayId}`,
        pid: processPid || null,
        inspectUrl,
        moduleUrls: [pathToFileURL(request.module).href],
        replay: { replayId, connectionId, taskId: request.task.id },
      })
      this.push(replayId, { kind: 'debugging', sessionId: session.sessionId, inspectUrl })
      return { replayId, module: request.module, session }
    } catch (err) {
      abort.abort(err instanceof Error ? err.message : String(err))
      await run
      throw err
    } finally {
      this.awaitingDebugger.delete(abort)
    }
  }

  /**
   * Waits for replays under way (the service's stop, after it closed the debug sessions: a paused
   * replay then runs to its end). One still waiting for its debugger is killed.
   */
  async settle(): Promise<void> {
    for (const abort of this.awaitingDebugger) abort.abort('the console is stopping')
    await Promise.allSettled([...this.running.values()])
  }
}

/** What `tasks.replay` runs: the task as stored, its definition's module and config unless told otherwise. */
export async function replayRequest(
  queue: Queue,
  definitions: Array<{ type: string; module: string; config?: unknown; taskTimeoutMs?: number | undefined }>,
  p: { id: string; module?: string | undefined; payload?: unknown; debug?: boolean | undefined },
): Promise<ReplayRequest & { module: string }> {
  const task = await queue.get(p.id)
  if (!task) throw new NotFoundError(`no task with id ${p.id}`)
  const def = definitions.find((d) => d.type === task.type)
  const module = p.module !== undefined ? resolve(p.module) : def?.module
  if (!module) throw new InputError(`module: no worker definition serves ${task.type}; give the module to replay it with`)
  if (!existsSync(module)) throw new InputError(`module: ${module} does not exist`)
  return {
    task,
    module,
    payload: p.payload !== undefined ? p.payload : task.payload,
    config: def?.config,
    taskTimeoutMs: def?.taskTimeoutMs ?? DRONE_DEFAULTS.taskTimeoutMs,
    ...(p.debug ? { debug: true } : {}),
  }
}
