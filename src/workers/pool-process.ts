/**
 * One worker process as the pool sees it: its handle, the tasks in its hand, and its lifecycle.
 *
 *   starting ──ready──▶ ready (idle|busy) ──shutdown sent──▶ stopping ──exit──▶ exited
 *       │                    │                                                   ▲
 *       └──── exit without being stopped (crash, kill on timeout) ──▶ crashed ────┘ (replaced)
 *
 * `retiring` (recycling after maxTasksPerProcess or maxRssMb) keeps a ready process out of dispatch
 * until its hand is empty; then it is stopped and replaced.
 */
import type { TaskError } from '../core/task.ts'
import type { WorkerProcessState } from '../core/events.ts'
import type { RunItem } from './protocol.ts'
import type { WorkerProcessHandle } from './spawner.ts'
import { TimeoutWheel } from './timeout-wheel.ts'

export type LostReason = 'crashed' | 'timeout' | 'recycled' | 'shutdown'

export interface InHand {
  item: RunItem
  started: boolean
  startedAt: number
  /** Set once the task was aborted for its timeout: kills the process if it is still running then. */
  killTimer: NodeJS.Timeout | undefined
}

export interface Slot {
  index: number
  workerId: string
  current: PoolProcess | undefined
  /** Replacements spawned for this slot so far. */
  restarts: number
  /** Consecutive quick crashes: the backoff exponent (100 ms doubling to 5 s). */
  crashStreak: number
  respawnTimer: NodeJS.Timeout | undefined
}

export type Phase = 'starting' | 'ready' | 'stopping' | 'crashed' | 'exited'

export class PoolProcess {
  phase: Phase = 'starting'
  retiring = false
  readonly inHand = new Map<string, InHand>()
  /** Tasks finished (succeeded or failed): counts toward maxTasksPerProcess. */
  done = 0
  failed = 0
  rssBytes = 0
  cpuPercent = 0
  inspectUrl: string | undefined
  readonly spawnedAt = Date.now()
  /** Why we are ending it; shapes the `lost` report if it dies holding tasks. */
  endReason: LostReason | undefined
  /** The task whose timeout got the process killed. */
  timedOut: { id: string; timeoutMs: number } | undefined
  initError: TaskError | undefined
  /** restart() spawns the successor itself. */
  noRespawn = false
  stopKillTimer: NodeJS.Timeout | undefined
  /** The started tasks' timeouts, on one timer (the pool sets the handler). */
  readonly timeouts: TimeoutWheel<string>
  private lastCpu: { us: number; at: number } | undefined
  readonly ready: Promise<void>
  readonly exited: Promise<void>
  resolveReady!: () => void
  rejectReady!: (err: Error) => void
  resolveExited!: () => void

  constructor(
    readonly slot: Slot,
    readonly handle: WorkerProcessHandle,
    readonly restarts: number,
    onTimeout: (p: PoolProcess, id: string) => void,
  ) {
    this.timeouts = new TimeoutWheel<string>((id) => onTimeout(this, id))
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve
      this.rejectReady = reject
    })
    // Awaited by start()/restart(); a replacement nobody awaits must not raise an unhandled rejection.
    this.ready.catch(() => undefined)
    this.exited = new Promise<void>((resolve) => (this.resolveExited = resolve))
  }

  get workerId(): string {
    return this.slot.workerId
  }

  get pid(): number {
    return this.handle.pid ?? -1
  }

  get alive(): boolean {
    return this.phase !== 'crashed' && this.phase !== 'exited'
  }

  /** Takes new tasks: ready, not being stopped or recycled. */
  get dispatchable(): boolean {
    return this.phase === 'ready' && !this.retiring
  }

  get state(): WorkerProcessState {
    if (this.phase === 'ready') return this.retiring ? 'stopping' : this.inHand.size > 0 ? 'busy' : 'idle'
    return this.phase
  }

  recordCpu(totalUs: number, rssBytes: number): void {
    const now = Date.now()
    if (this.lastCpu && now > this.lastCpu.at) {
      this.cpuPercent = Math.max(0, ((totalUs - this.lastCpu.us) / ((now - this.lastCpu.at) * 1000)) * 100)
    }
    this.lastCpu = { us: totalUs, at: now }
    this.rssBytes = rssBytes
  }

  clearTimers(id: string, entry: InHand): void {
    this.timeouts.delete(id)
    if (entry.killTimer) clearTimeout(entry.killTimer)
    entry.killTimer = undefined
  }

  /** Per-task message for a task this process held when it died. */
  lostMessage(id: string, reason: LostReason, code: number | null, signal: string | null, killGraceMs: number): string {
    const who = `worker process ${this.workerId} (pid ${this.pid})`
    switch (reason) {
      case 'timeout':
        if (this.timedOut?.id === id) {
          return `Task exceeded its timeout of ${this.timedOut.timeoutMs} ms and did not stop within ${killGraceMs} ms of being aborted; ${who} was killed`
        }
        return `The task's ${who} was killed because task ${this.timedOut?.id ?? '?'} exceeded its timeout`
      case 'recycled':
        return `The task's ${who} was stopped for a restart before the task finished`
      case 'shutdown':
        return `The task's ${who} was stopped (shutdown) before the task finished`
      case 'crashed':
        return `The task's ${this.exitDescription(code, signal)}`
    }
  }

  /** What ended the process, for the `lost` event and worker-exited. */
  endDescription(reason: LostReason, code: number | null, signal: string | null): string {
    const who = `worker process ${this.workerId} (pid ${this.pid})`
    switch (reason) {
      case 'timeout':
        return `${who} was killed: task ${this.timedOut?.id ?? '?'} exceeded its timeout of ${this.timedOut?.timeoutMs ?? '?'} ms`
      case 'recycled':
        return `${who} was stopped for a restart`
      case 'shutdown':
        return `${who} was stopped (shutdown)`
      case 'crashed':
        return this.initError ? `${who} failed to load its module: ${this.initError.message}` : this.exitDescription(code, signal)
    }
  }

  exitDescription(code: number | null, signal: string | null): string {
    const how = signal ? `signal ${signal}` : `code ${code === null ? 'unknown' : code}`
    return `worker process ${this.workerId} (pid ${this.pid}) exited unexpectedly (${how})`
  }
}
