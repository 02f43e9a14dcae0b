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
import { DRONE_DEFAULTS } from '../core/config.ts'
import { InputError, NotFoundError } from '../core/errors.ts'
import type { Task, TaskError } from '../core/task.ts'
import type { Queue } from '../queue/queue.ts'
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
}

export type ReplayEvent =
  | { kind: 'started'; module: string; pid: number }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; stream?: LogStream; message: string; data?: unknown; at: number }
  /** a postback the handler made: shown, never enqueued; `id` is what the handler was given */
  | { kind: 'would-enqueue'; id: string; type: string; payload: unknown; options: Record<string, unknown> }
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'failed'; error: TaskError }

/** Runs one replay to its end, reporting as it goes; resolves after the last event ('succeeded' or 'failed'). */
export type ReplayRunner = (request: ReplayRequest, onEvent: (event: ReplayEvent) => void) => Promise<void>

/**
 * The runner: `replay()` of src/debug/replay.ts, the same function `swarmage replay` runs (a fresh
 * process of the drone's own worker host, never a queue), its events mapped to the console's.
 */
export function processReplayRunner(spawner?: ProcessSpawner): ReplayRunner {
  return async (req, onEvent) => {
    let pid = 0
    const result = await replay({
      task: req.task,
      modulePath: req.module,
      config: req.config,
      payload: req.payload,
      timeoutMs: req.taskTimeoutMs,
      ...(spawner ? { spawner } : {}),
      onEvent: (e) => {
        if (e.kind === 'ready') pid = e.pid
        else if (e.kind === 'started') onEvent({ kind: 'started', module: req.module, pid })
        else if (e.kind === 'log') onEvent({ kind: 'log', level: e.level, stream: e.stream, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}), at: Date.parse(e.at) })
        else if (e.kind === 'postback') onEvent({ kind: 'would-enqueue', id: e.id, type: e.type, payload: e.payload, options: e.options })
      },
    })
    if (result.outcome === 'succeeded') onEvent({ kind: 'succeeded', result: result.result })
    else onEvent({ kind: 'failed', error: result.error ?? { message: 'the replay failed' } })
  }
}

/** Replays under way, by id; each pushes its events as they come. */
export class Replays {
  private readonly running = new Map<string, Promise<void>>()

  constructor(
    private readonly runner: ReplayRunner,
    private readonly push: (replayId: string, event: ReplayEvent) => void,
  ) {}

  start(request: ReplayRequest): { replayId: string; module: string } {
    const replayId = randomUUID()
    const run = this.runner(request, (e) => this.push(replayId, e))
      .catch((err: unknown) => this.push(replayId, { kind: 'failed', error: { message: err instanceof Error ? err.message : String(err) } }))
      .finally(() => this.running.delete(replayId))
    this.running.set(replayId, run)
    return { replayId, module: request.module }
  }

  /** Waits for replays under way (the service's stop). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running.values()])
  }
}

/** What `tasks.replay` runs: the task as stored, its definition's module and config unless told otherwise. */
export async function replayRequest(
  queue: Queue,
  definitions: Array<{ type: string; module: string; config?: unknown; taskTimeoutMs?: number | undefined }>,
  p: { id: string; module?: string | undefined; payload?: unknown },
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
  }
}
