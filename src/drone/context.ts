import type { EventEmitter } from 'node:events'
import type { DroneEvent, TaskEvent, TaskEventKind } from '../core/events.ts'
import type { GlobalQueueDriver } from '../queue/driver.ts'
import type { Queue } from '../queue/queue.ts'
import type { LocalQueue } from './local-queue.ts'

export type EventExtra = Omit<TaskEvent, 'kind' | 'taskId' | 'type' | 'at'>

/** A task event not yet emitted (outcome events wait for the queue's acknowledgement). */
export interface Pending {
  kind: TaskEventKind
  task: { id: string; type: string; attempt?: number }
  extra: EventExtra | undefined
}

/** The drone's options after validation, every default filled in (DRONE_DEFAULTS). */
export interface DroneSettings {
  bufferPerWorker: number
  leaseMs: number
  taskTimeoutMs: number
  retryBaseMs: number
  retryMaxMs: number
  graceMs: number
  pollMs: number
}

/**
 * Emits the drone's events. Task events are built only when someone listens, so an idle console
 * costs nothing per task; listenerCount is one property read.
 */
export class EventSink {
  constructor(private readonly emitter: EventEmitter) {}

  get listening(): boolean {
    return this.emitter.listenerCount('event') > 0
  }

  emit(e: DroneEvent): void {
    this.emitter.emit('event', e)
  }

  task(
    kind: TaskEventKind,
    t: { id: string; type: string; attempt?: number },
    extra?: Omit<TaskEvent, 'kind' | 'taskId' | 'type' | 'at'>,
  ): void {
    if (this.emitter.listenerCount('event') === 0) return
    const e: TaskEvent = { kind, taskId: t.id, type: t.type, at: Date.now(), ...extra }
    if (t.attempt !== undefined && e.attempt === undefined) e.attempt = t.attempt
    this.emitter.emit('event', e)
  }
}

/** What the drone's services share. */
export interface DroneContext {
  readonly id: string
  readonly name: string
  readonly queue: Queue
  readonly driver: GlobalQueueDriver
  readonly settings: DroneSettings
  readonly local: LocalQueue
  readonly events: EventSink
  /** True once stop() began: nothing new is claimed, released and lost tasks are handed back. */
  readonly draining: boolean
  /** Reports an error of a background part (never fatal, never swallowed). */
  reportError(err: unknown, where: string): void
}
