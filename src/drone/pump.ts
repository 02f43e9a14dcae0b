import type { ClaimedTask } from '../core/task.ts'
import type { ClaimWant, Subscription } from '../queue/driver.ts'
import { traceClaims } from '../tracing/tracing.ts'
import type { LocalTask } from './local-queue.ts'
import type { DroneContext } from './context.ts'
import { Periodic } from './service.ts'
import type { WorkerSet } from './worker-set.ts'

/** Most tasks of one type per claim: keeps one claim transaction short even with a huge buffer. */
const CLAIM_MAX = 1000
/** Pump period while wake-ups are polled instead of pushed. */
const POLLING_MS = 250

/**
 * Claims tasks for every type with room (capacity minus tasks in hand), buffers them in the local
 * queue in one transaction, then dispatches. One claim call per run for all types; runs never
 * overlap (Periodic coalesces kicks), so two claims are never in flight at once.
 */
export class Pump {
  private readonly periodic: Periodic
  subscription: Subscription | null = null
  claimed = 0
  /** Drone.pause(): dispatch of tasks in hand goes on, claiming does not. */
  paused = false

  constructor(
    private readonly ctx: DroneContext,
    private readonly workers: WorkerSet,
    /** Drops tasks whose old lease this drone still held when it claimed them again. */
    private readonly dropStale: (tasks: LocalTask[]) => void,
    /** Hands stored tasks back (stored as done first, then sent fenced and retried by the completer). */
    private readonly handback: (tasks: LocalTask[]) => void,
  ) {
    this.periodic = new Periodic({
      name: 'pump',
      intervalMs: () => (this.signals === 'polling' ? Math.min(POLLING_MS, ctx.settings.pollMs) : ctx.settings.pollMs),
      run: () => this.run(),
      onError: (err, name) => ctx.reportError(err, name),
    })
  }

  get signals(): 'push' | 'polling' {
    return this.subscription?.mode() ?? 'polling'
  }

  start(): void {
    this.periodic.start()
  }

  stop(): Promise<void> {
    return this.periodic.stop()
  }

  /** Claim (and dispatch) soon; coalesces with a run in flight. */
  kick(): void {
    this.periodic.kick()
  }

  private async run(): Promise<void> {
    if (this.ctx.draining) return
    const wants: ClaimWant[] = []
    for (const t of this.workers.byType.values()) {
      // Slots may have freed without an item (a replaced process): dispatch before claiming more.
      this.workers.dispatch(t.type)
      if (this.paused) continue
      // Finished tasks awaiting acknowledgement do not count, so claiming overlaps the completion
      // round trip (measured: ~1.8× throughput on no-op tasks); while outcomes pile up beyond one
      // capacity's worth (the queue is slow or down), nothing more is claimed.
      const done = this.ctx.local.countDone({ type: t.type })
      const room = done >= t.capacity ? 0 : t.capacity - (this.ctx.local.countInHand({ type: t.type }) - done)
      if (room > 0) wants.push({ type: t.type, limit: Math.min(room, CLAIM_MAX) })
    }
    if (wants.length === 0) return
    const claimed = await this.ctx.driver.taskClaim({
      droneId: this.ctx.id,
      droneName: this.ctx.name,
      wants,
      leaseMs: this.ctx.settings.leaseMs,
    })
    if (claimed.length === 0) return
    const reclaimed = this.dropReclaimed(claimed)
    // Stored even when stop() began meanwhile: the drain hands buffered tasks back.
    const stored = this.ctx.local.taskInsertMany({ tasks: claimed })
    this.claimed += stored.length
    traceClaims(claimed, this.ctx.name)
    if (this.ctx.events.listening) {
      stored.forEach((t, i) => {
        const dueAt = claimed[i]?.runAt
        this.ctx.events.task('claimed', t, dueAt === undefined ? undefined : { dueAt })
      })
    }
    const tasks = reclaimed === null ? stored : stored.filter((t) => !reclaimed.has(t.id))
    // Like every other outcome: stored in the local queue first, then sent by the completer.
    if (reclaimed !== null) this.handback(stored.filter((t) => reclaimed.has(t.id)))
    const types = new Set(tasks.map((t) => t.type))
    for (const type of types) this.workers.dispatch(type)
  }

  /**
   * A task whose lease this drone lost while still running it (rescued, then claimed again by us):
   * the old run is aborted and forgotten, and the new claim is handed back at once (no attempt used),
   * because a worker process reports by task id and the two runs must never be confused. A task
   * whose old outcome is merely awaiting acknowledgement is simply replaced (that completion will be
   * refused by the fence). Returns the ids to hand back (null when none).
   */
  private dropReclaimed(claimed: readonly ClaimedTask[]): Set<string> | null {
    const stale: LocalTask[] = []
    for (const c of claimed) {
      const old = this.ctx.local.taskGet({ id: c.id })
      if (old && old.state !== 'done' && old.state !== 'buffered') stale.push(old)
    }
    if (stale.length === 0) return null
    this.dropStale(stale)
    return new Set(stale.map((t) => t.id))
  }
}
