import type { Queue } from '../queue/queue.ts'

export interface QueueGaugeOptions {
  /** How long one reading serves every scrape, ms. Default 10 000 (a 15 s scrape interval sees fresh figures). */
  ttlMs?: number
  /**
   * On a drone: this drone's id and how recently a drone must have sent a heartbeat to count as live
   * (ms). Only the live drone with the smallest id reads the queue-wide counts; the others serve none,
   * so N drones scraped run one count query per ttl, not N. Without it (the console) this process
   * always reads them.
   */
  electedBy?: { droneId: () => string; liveWithinMs: number }
}

export type TypeCounts = Record<string, { queued: number; running: number }>

/**
 * The queue-wide gauges' source: `queue.stats()` counts by type and state, read at most once per
 * ttl (concurrent scrapes share one reading), and on drones by one elected drone at a time. The
 * election needs no lock or table of its own: every drone already sends heartbeats, and the one
 * with the smallest id among those seen within `liveWithinMs` reads; when it stops or dies, the next
 * one takes over within that time. Two drones may both read for a moment during a hand-over;
 * Prometheus queries use max by (type, state) across instances, so that is harmless.
 */
export class QueueGauges {
  private readonly ttlMs: number
  private cached: { at: number; value: TypeCounts | null } | null = null
  private reading: Promise<TypeCounts | null> | null = null

  constructor(
    private readonly queue: Queue,
    private readonly options: QueueGaugeOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000
  }

  /** The counts, or null when another drone serves them. Errors propagate (the scrape fails and says why). */
  read(): Promise<TypeCounts | null> {
    const c = this.cached
    if (c !== null && Date.now() - c.at < this.ttlMs) return Promise.resolve(c.value)
    this.reading ??= this.fetch().finally(() => (this.reading = null))
    return this.reading
  }

  private async fetch(): Promise<TypeCounts | null> {
    const value = (await this.elected()) ? await this.counts() : null
    this.cached = { at: Date.now(), value }
    return value
  }

  private async elected(): Promise<boolean> {
    const e = this.options.electedBy
    if (!e) return true
    const me = e.droneId()
    const live = await this.queue.drones({ seenWithinMs: e.liveWithinMs })
    // Not registered yet (before its first heartbeat) or the only one: it reads.
    return live.every((d) => d.id >= me)
  }

  private async counts(): Promise<TypeCounts> {
    const stats = await this.queue.stats()
    const out: TypeCounts = {}
    for (const [type, s] of Object.entries(stats.types)) out[type] = { queued: s.queued, running: s.running }
    return out
  }
}
