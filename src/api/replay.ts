/**
 * Replay from the console: a task run once more in a scratch worker process on the console's machine,
 * against its definition's module (or another file) with its payload (or an edited one). Nothing is
 * written to any queue: postbacks come back as "would enqueue" events, with made-up ids the handler
 * sees; logs, the result or the error (with its stack) are pushed live as `replay` events.
 *
 * The interface the console relies on is `ReplayRunner`: `swarmage replay`'s library function
 * (src/debug/replay.ts, issue #12 item 2, built on another branch) is meant to stand behind it; until
 * then `poolReplayRunner` runs the replay in a one-process WorkerPool of the engine's own.
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { DRONE_DEFAULTS } from '../core/config.ts'
import { InputError, NotFoundError } from '../core/errors.ts'
import type { Task, TaskError } from '../core/task.ts'
import type { Queue } from '../queue/queue.ts'
import { ForkSpawner } from '../workers/fork-spawner.ts'
import { WorkerPool } from '../workers/pool.ts'
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
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; data?: unknown; at: number }
  /** a postback the handler made: shown, never enqueued; `id` is what the handler was given */
  | { kind: 'would-enqueue'; id: string; type: string; payload: unknown; options: Record<string, unknown> }
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'failed'; error: TaskError }

/** Runs one replay to its end, reporting as it goes; resolves after the last event ('succeeded' or 'failed'). */
export type ReplayRunner = (request: ReplayRequest, onEvent: (event: ReplayEvent) => void) => Promise<void>

/** The stand-in runner: a scratch WorkerPool of one process, stopped when the task is done. */
export function poolReplayRunner(spawner: ProcessSpawner = new ForkSpawner()): ReplayRunner {
  return async (req, onEvent) => {
    const pool = new WorkerPool({
      type: req.task.type,
      id: `replay-${req.task.type}`,
      modulePath: req.module,
      config: req.config,
      processes: 1,
      concurrency: 1,
      taskTimeoutMs: req.taskTimeoutMs,
      spawner,
    })
    try {
      await pool.start()
    } catch (err) {
      onEvent({ kind: 'failed', error: { message: `the worker module did not load: ${err instanceof Error ? err.message : String(err)}` } })
      return
    }
    try {
      await new Promise<void>((resolve) => {
        let posted = 0
        pool.on('items', (workerId, pid, items) => {
          for (const item of items) {
            if (item.k === 'started') onEvent({ kind: 'started', module: req.module, pid })
            else if (item.k === 'log') onEvent({ kind: 'log', level: item.level, message: item.message, ...(item.data !== undefined ? { data: item.data } : {}), at: item.at })
            else if (item.k === 'enqueue') {
              const id = `would-enqueue-${++posted}`
              onEvent({ kind: 'would-enqueue', id, type: item.type, payload: item.payload, options: item.options })
              pool.replyEnqueue(workerId, [{ reqId: item.reqId, id }], pid)
            } else if (item.k === 'succeeded') {
              onEvent({ kind: 'succeeded', result: JSON.parse(item.resultJson) as unknown })
              resolve()
            } else if (item.k === 'failed') {
              onEvent({ kind: 'failed', error: item.error })
              resolve()
            }
          }
        })
        pool.on('lost', (_w, _p, _tasks, _reason, error) => {
          onEvent({ kind: 'failed', error: { message: `the worker process died: ${error.message}` } })
          resolve()
        })
        const t = req.task
        pool.dispatch([{ id: t.id, type: t.type, payloadJson: JSON.stringify(req.payload ?? null), attempt: Math.max(1, t.attempts), maxAttempts: t.maxAttempts, parentId: t.parentId, timeoutMs: 0 }])
      })
    } finally {
      await pool.stop(0)
    }
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
