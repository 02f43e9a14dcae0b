import { FINAL_STATES } from '../core/task.ts'
import type { Queue } from '../queue/queue.ts'
import type { ScheduleRecord } from '../queue/driver.ts'
import { tickTask } from './api.ts'
import { nextTick, type ScheduleDefinition } from './definition.ts'

/** Where the scheduler reads "now". Default: the database clock, as leases do, so drones with skewed clocks agree. */
export interface Clock {
  now(): Promise<Date>
}

export interface SchedulerOptions {
  /** Schedules from the config file, applied (upserted) on start. */
  schedules?: Record<string, ScheduleDefinition>
  clock?: Clock
  /** Longest wait between passes (schedules may change from any process). Default 1000. */
  pollMs?: number
  /**
   * A tick seen this late is still on time with catchUp 0 (a busy event loop, a pass in flight).
   * Older ticks are "missed": skipped unless catchUp covers them. Default 10000.
   */
  lateToleranceMs?: number
  onError?: (err: unknown) => void
}

/** Most catch-up ticks one pass enqueues for one schedule (the latest ones). */
const MAX_CATCH_UP_TICKS = 1000

/**
 * The scheduler service every drone runs (docs/architecture.md#schedules). There is no leader: every
 * drone's scheduler reads the due schedules and tries to advance each with a compare-and-set on its
 * revision, in the same transaction as the tick's task insert; one wins per tick, the others see the
 * revision moved and do nothing. The tick's key (`schedule:NAME:TICK_ISO`) is a second guard.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null
  private started = false
  private inFlight: Promise<void> | null = null
  private readonly clock: Clock
  private readonly pollMs: number
  private readonly toleranceMs: number

  constructor(
    private readonly queue: Queue,
    private readonly options: SchedulerOptions = {},
  ) {
    this.clock = options.clock ?? { now: () => queue.now() }
    this.pollMs = options.pollMs ?? 1000
    this.toleranceMs = options.lateToleranceMs ?? 10_000
  }

  /** Applies the config's schedules, then passes every pollMs (sooner when a tick is nearer). Idempotent. */
  async start(): Promise<void> {
    if (this.started) return
    for (const [name, def] of Object.entries(this.options.schedules ?? {})) await this.queue.setSchedule(name, def)
    this.started = true
    this.loop()
  }

  async stop(): Promise<void> {
    this.started = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.inFlight
  }

  private loop(): void {
    if (!this.started) return
    this.inFlight = this.pass()
      .catch((err: unknown) => {
        this.options.onError?.(err)
        return this.pollMs
      })
      .then((waitMs) => {
        this.inFlight = null
        if (this.started) this.timer = setTimeout(() => this.loop(), waitMs)
      })
  }

  /** One pass over every schedule; returns how long to wait before the next. Tests call it with an injected clock. */
  async pass(): Promise<number> {
    const list = await this.queue.scheduling.records()
    // No schedules: one read of an empty table per poll, and no clock round trip (no cost when unused).
    if (list.length === 0) return this.pollMs
    const now = await this.clock.now()
    let wait = this.pollMs
    for (const r of list) {
      if (r.paused) continue
      const next = await this.advance(r, now)
      if (next !== null) wait = Math.min(wait, Math.max(0, next.getTime() - now.getTime()))
    }
    return wait
  }

  /** Acts on one schedule; returns its next tick (null when it has none, or it moved under us). */
  private async advance(r: ScheduleRecord, now: Date): Promise<Date | null> {
    const store = this.queue.scheduling
    if (r.nextTick === null) {
      // Anchor a new, changed or resumed schedule: its first tick is the next one after now.
      const first = nextTick(r.cron, r.timezone, now)
      // An expression with no future tick (e.g. Feb 30) stays unanchored rather than rewritten every pass.
      if (first === null) return null
      await store.fire({ name: r.name, revision: r.revision, nextTick: first, tasks: [] })
      return first
    }
    const due = new Date(r.nextTick)
    if (due > now) return due
    // Every tick from the stored next one up to now; those within the window run, older ones are missed.
    const window = Math.max(r.catchUpMs, this.toleranceMs)
    const from = new Date(Math.max(due.getTime(), now.getTime() - window) - 1)
    const ticks: Date[] = []
    for (let t = nextTick(r.cron, r.timezone, from); t !== null && t <= now; t = nextTick(r.cron, r.timezone, t)) {
      ticks.push(t)
      if (ticks.length > MAX_CATCH_UP_TICKS) ticks.shift()
    }
    let run = ticks
    if (r.overlap === 'skip' && ticks.length > 0) {
      // One task at a time: only the latest tick, and none while the previous task is unfinished.
      const last = r.lastTaskId === null ? null : await this.queue.get(r.lastTaskId)
      run = last !== null && !FINAL_STATES.includes(last.state) ? [] : [ticks.at(-1)!]
    }
    const following = nextTick(r.cron, r.timezone, now)
    await store.fire({
      name: r.name,
      revision: r.revision,
      nextTick: following,
      ...(run.length > 0 ? { lastTick: run.at(-1)! } : {}),
      tasks: run.map((t) => tickTask(r, t, this.queue.limits)),
    })
    return following
  }
}
