import type { DroneChannel } from '../queue/drone-channel.ts'
import type { ClaimWant, Subscription } from '../queue/driver.ts'
import { traceClaims } from '../tracing/tracing.ts'
import type { RunItem } from '../workers/protocol.ts'
import type { HeldTask, Ledger } from './ledger.ts'
import { Periodic, type Service } from './service.ts'
import type { PoolEntry, TypeWorkers, WorkerSet } from './worker-set.ts'

/** Most tasks of one type per claim: keeps one claim transaction short even with a huge buffer. */
const CLAIM_MAX = 1000
/** Loop period while wake-ups are polled instead of pushed. */
const POLLING_MS = 250
/** The elastic room's ceiling, in the type's worker slots: the hand-tuned buffer `swarmage bench` compares. */
const ELASTIC_MAX_SLOTS = 10
/**
 * How much work beyond its slots a type may hold, in ms of its own finish rate: a quarter second of
 * work is little another drone misses, and no-op tasks claimed in batches that size cost less per
 * task than batches of a 2 × slots buffer (100 ms measured 0.70–0.85 of a tuned buffer, 250 ms
 * 0.77–0.96: docs/performance.md#elastic-room).
 */
const HORIZON_MS = 250
/** The finish rate is re-measured at most this often (ms). */
const PACE_MS = 50

/** Rounds of one dispatch: each fills one process's free slots; more processes than a type may have. */
const DISPATCH_ROUNDS = 1024

export interface LoopDeps {
  droneId: string
  /** Read at every claim: the name is settled when the local queue opens. */
  droneName: () => string
  claim: DroneChannel['claim']
  ledger: Ledger
  workers: WorkerSet
  leaseMs: number
  pollMs: number
  /** True once stop() began: nothing is claimed or dispatched any more. */
  draining: () => boolean
  onError: (err: unknown, where: string) => void
}

/**
 * The one place that decides claims and dispatch. A run claims for every type with room (capacity
 * minus tasks in hand) in one claim call, hands the claimed tasks to the ledger, then dispatches;
 * runs never overlap (Periodic coalesces wake-ups), so two claims are never in flight at once.
 * Dispatch of a type happens at once when the ledger says capacity freed (coalesced per turn), and a
 * claim run follows. Wake-ups: signals, freed capacity, new worker processes, resume, a timer.
 */
export class Loop implements Service {
  readonly name = 'loop'
  private readonly periodic: Periodic
  subscription: Subscription | null = null
  claimed = 0
  /** Drone.pause(): dispatch of tasks in hand goes on, claiming does not. */
  paused = false
  private readonly freedTypes = new Set<string>()
  private freedScheduled = false
  /** A claim run's time (round trip, local-queue write, dispatch), smoothed: what the buffer must cover. */
  private claimMs = 0
  private readonly pace = new Map<string, { at: number; finished: number; perMs: number }>()

  constructor(private readonly deps: LoopDeps) {
    this.periodic = new Periodic({
      name: this.name,
      intervalMs: () => (this.signals === 'polling' ? Math.min(POLLING_MS, deps.pollMs) : deps.pollMs),
      run: () => this.run(),
      onError: deps.onError,
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
  wake(): void {
    this.periodic.kick()
  }

  /**
   * A task of `type` left a worker slot or the type's capacity. Dispatch and a claim follow at the
   * end of this turn's synchronous work (a microtask): one dispatch per type for a whole batch of reports.
   */
  freed(type: string): void {
    this.freedTypes.add(type)
    if (this.freedScheduled) return
    this.freedScheduled = true
    queueMicrotask(() => {
      this.freedScheduled = false
      const types = [...this.freedTypes]
      this.freedTypes.clear()
      for (const t of types) this.dispatch(t)
      this.periodic.kick()
    })
  }

  /** Sends buffered tasks of `type` while some process of the type has a free slot. */
  dispatch(type: string): number {
    const t = this.deps.workers.byType.get(type)
    if (!t || this.deps.draining()) return 0
    const sent: Array<{ task: HeldTask; workerId: string; pid: number }> = []
    const taken = new Set<string>()
    // A debug session's pin (WorkerSet.pin): its pool alone, which hands everything to that process.
    const pinned = this.deps.workers.pinned(type)
    const entries = pinned ? [pinned] : t.entries
    for (let round = 0; round < DISPATCH_ROUNDS; round++) {
      let best: PoolEntry | undefined
      let bestFree = 0
      for (const e of entries) {
        const free = e.pool.freeSlots()
        if (free > bestFree) {
          best = e
          bestFree = free
        }
      }
      if (!best) break
      const tasks = this.deps.ledger.buffered(type, bestFree + taken.size).filter((x) => !taken.has(x.id))
      if (tasks.length === 0) break
      const byId = new Map<string, HeldTask>()
      const items: RunItem[] = tasks.slice(0, bestFree).map((x) => {
        byId.set(x.id, x)
        const item: RunItem = { id: x.id, type, payloadJson: x.payloadJson, attempt: x.attempt, maxAttempts: x.maxAttempts, parentId: x.parentId, timeoutMs: best.timeoutMs }
        if (x.traceparent) item.traceparent = x.traceparent
        return item
      })
      const accepted = best.pool.dispatch(items)
      if (accepted.length === 0) break
      for (const a of accepted) {
        taken.add(a.id)
        sent.push({ task: byId.get(a.id)!, workerId: a.workerId, pid: a.pid })
      }
    }
    if (sent.length > 0) this.deps.ledger.dispatch(sent)
    return sent.length
  }

  private async run(): Promise<void> {
    const { ledger, workers } = this.deps
    if (this.deps.draining()) return
    const wants: ClaimWant[] = []
    const now = Date.now()
    for (const t of workers.byType.values()) {
      // Slots may have freed without a report (a replaced process): dispatch before claiming more.
      this.dispatch(t.type)
      if (this.paused) continue
      // Finished tasks awaiting acknowledgement do not count, so claiming overlaps the completion
      // round trip (measured: ~1.8× throughput on no-op tasks); while outcomes pile up beyond one
      // capacity's worth (the queue is slow or down), nothing more is claimed.
      const done = ledger.finishing(t.type)
      // While a debug session pins the type to one process, claim no more than that process holds:
      // the rest stays in the queue for other drones instead of waiting here behind a breakpoint.
      const pinned = workers.pinned(t.type)
      const capacity = pinned ? pinned.pool.capacity : this.capacity(t, now)
      const room = done >= t.capacity ? 0 : capacity - (ledger.inHand(t.type) - done)
      if (room > 0) wants.push({ type: t.type, limit: Math.min(room, CLAIM_MAX) })
    }
    if (wants.length === 0) return
    const sentAt = Date.now()
    const claimed = await this.deps.claim({ droneId: this.deps.droneId, droneName: this.deps.droneName(), wants, leaseMs: this.deps.leaseMs })
    if (claimed.length === 0) return
    this.claimed += claimed.length
    const types = ledger.claim(claimed, sentAt)
    // Claim spans continue the traces stored at enqueue (a no-op for untraced tasks).
    traceClaims(claimed, this.deps.droneName())
    for (const type of types) this.dispatch(type)
    const took = Date.now() - sentAt
    this.claimMs = this.claimMs === 0 ? took : 0.8 * this.claimMs + 0.2 * took
  }

  /**
   * A type's room in hand. Its capacity (CONTRACT.md "Capacity default") is the floor; above it the
   * room grows to the slots plus what the type's workers finish in HORIZON_MS (or two claim runs, when
   * claims are slower; Little's law), up to 10 × its slots. Fast tasks need it: 100 no-op slots held
   * at 2 × burned down at 0.35–0.6 of a 10 × buffer (docs/performance.md#elastic-room); slow tasks
   * finish too few for it to grow, so a drone does not hoard long tasks that other drones could run.
   */
  private capacity(t: TypeWorkers, now: number): number {
    let slots = 0
    for (const e of t.entries) slots += e.processes * e.concurrency
    const elastic = Math.ceil(slots + this.finishRate(t.type, now) * Math.max(HORIZON_MS, 2 * this.claimMs))
    return Math.max(t.capacity, Math.min(elastic, ELASTIC_MAX_SLOTS * slots))
  }

  /** Tasks of `type` finished per ms, smoothed across claim runs (the ledger's running counts). */
  private finishRate(type: string, now: number): number {
    const c = this.deps.ledger.counts.get(type)
    const finished = c ? c.succeeded + c.failed : 0
    const p = this.pace.get(type)
    if (!p) {
      this.pace.set(type, { at: now, finished, perMs: 0 })
      return 0
    }
    const dt = now - p.at
    if (dt >= PACE_MS) {
      const rate = (finished - p.finished) / dt
      p.perMs = p.perMs === 0 ? rate : 0.5 * p.perMs + 0.5 * rate
      p.at = now
      p.finished = finished
    }
    return p.perMs
  }
}
