import type { EventEmitter } from 'node:events'
import type { DroneEvent, TaskEvent, TaskEventKind } from '../core/events.ts'

export type EventExtra = Omit<TaskEvent, 'kind' | 'taskId' | 'type' | 'at'>

/** A task event not yet emitted (outcome events wait for the queue's acknowledgement). */
export interface Pending {
  kind: TaskEventKind
  task: { id: string; type: string; attempt?: number }
  extra: EventExtra | undefined
  /** When it happened, if not now (a worker's report: its own clock reading, same machine). */
  at?: number
}

/** Where task events wait for the local queue's writes (LocalQueue: written once per turn). */
export interface EventGate {
  /** True while changes are waiting for the end-of-turn write. */
  readonly pending: boolean
  /** Calls `fn` once the pending changes are written. */
  afterFlush(fn: () => void): void
}

/**
 * Emits the drone's events. Task events are built only when someone listens, so an idle console
 * costs nothing per task; listenerCount is one property read. A task event never reports a started
 * or finished state the local queue has not written yet (claimed and dispatched tasks are written
 * late, see LocalQueue: a restart would only hand them back): while writes are pending, events wait
 * for them (at most one turn of the event loop), so whoever sees 'started' may rely on a restart
 * treating it as started.
 */
export class EventSink {
  gate: EventGate | null = null
  private held: DroneEvent[] = []
  private readonly release = (): void => {
    const held = this.held
    this.held = []
    for (const e of held) this.emitter.emit('event', e)
  }

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
    at?: number,
  ): void {
    if (this.emitter.listenerCount('event') === 0) return
    const e: TaskEvent = { kind, taskId: t.id, type: t.type, at: at ?? Date.now(), ...extra }
    if (t.attempt !== undefined && e.attempt === undefined) e.attempt = t.attempt
    if (this.held.length > 0) {
      this.held.push(e)
    } else if (this.gate?.pending) {
      this.held.push(e)
      this.gate.afterFlush(this.release)
    } else {
      this.emitter.emit('event', e)
    }
  }
}
