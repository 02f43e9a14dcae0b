/**
 * Collects items and sends them in batches, one batch in flight at a time: a batch leaves when
 * `maxBatch` items wait, or `delayMs` after the first one arrived (5 ms: long enough to gather a
 * burst of completions from several worker processes, short against any task's run time). A failed
 * send is retried with backoff (100 ms doubling to 5 s) and the items keep their place: nothing is
 * dropped unless `maxRetries` is finite and exhausted (then `onDrop` gets them, with the error).
 */
export interface BatcherOptions<T> {
  name: string
  maxBatch: number
  delayMs: number
  send: (batch: T[]) => Promise<void>
  onError: (err: unknown, name: string) => void
  maxRetries?: number
  onDrop?: (batch: T[], err: unknown) => void
  /**
   * Batches in flight at once (default 1). Two let one batch's round trip (and its commit's WAL
   * flush) overlap the next one's: measured in docs/performance.md.
   */
  concurrency?: number
}

const RETRY_MIN_MS = 100
const RETRY_MAX_MS = 5_000

export class Batcher<T> {
  private pending: T[] = []
  private timer: NodeJS.Timeout | null = null
  private inFlight = 0
  private readonly retryTimers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  private stopped = false
  private idleWaiters: Array<() => void> = []
  /** Items ever added, and ever sent (or dropped): flushed() waits for the count of its moment. */
  private added = 0
  private done = 0
  private flushWaiters: Array<{ upTo: number; resolve: () => void }> = []

  constructor(private readonly o: BatcherOptions<T>) {}

  get size(): number {
    return this.pending.length
  }

  /** Items added and not yet sent (or dropped): pending plus in flight. */
  get unsent(): number {
    return this.added - this.done
  }

  add(items: readonly T[]): void {
    if (items.length === 0) return
    for (const item of items) this.pending.push(item)
    this.added += items.length
    if (this.inFlight >= (this.o.concurrency ?? 1)) return
    if (this.pending.length >= this.o.maxBatch) this.startFlush()
    else if (!this.timer) this.timer = setTimeout(() => this.startFlush(), this.o.delayMs)
  }

  /** Resolves once everything added so far (and since) has been sent. */
  idle(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0) return Promise.resolve()
    this.startFlush()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * Resolves once every item added before this call has been sent (or dropped), sending now rather
   * than after `delayMs`; items added later are not waited for. Counts sends in order, so it is exact
   * with one batch in flight (the default); never resolves while sends keep failing (callers bound it).
   */
  flushed(): Promise<void> {
    const upTo = this.added
    if (this.done >= upTo) return Promise.resolve()
    this.startFlush()
    return new Promise((resolve) => this.flushWaiters.push({ upTo, resolve }))
  }

  private settled(n: number): void {
    this.done += n
    if (this.flushWaiters.length === 0) return
    const ready = this.flushWaiters.filter((w) => w.upTo <= this.done)
    this.flushWaiters = this.flushWaiters.filter((w) => w.upTo > this.done)
    for (const w of ready) w.resolve()
  }

  /** Skips the wait of a retry in progress (used when stopping hard). */
  retrySoon(): void {
    for (const r of this.retryTimers) {
      clearTimeout(r.timer)
      r.resolve()
    }
    this.retryTimers.clear()
  }

  /** After stop(), a failing send is not retried: idle() resolves with the items still pending. */
  stop(): void {
    this.stopped = true
    this.retrySoon()
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /** Starts one more sending loop, up to `concurrency`; each sends batches until nothing is pending. */
  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.inFlight >= (this.o.concurrency ?? 1)) return
    if (this.inFlight > 0 && this.pending.length === 0) return
    this.inFlight++
    void this.loop().finally(() => {
      this.inFlight--
      if (this.pending.length > 0 && !this.stopped) this.startFlush()
      else if (this.inFlight === 0) {
        const waiters = this.idleWaiters
        this.idleWaiters = []
        for (const w of waiters) w()
      }
    })
  }

  private async loop(): Promise<void> {
    let failures = 0
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.o.maxBatch)
      try {
        await this.o.send(batch)
        failures = 0
        this.settled(batch.length)
      } catch (err) {
        failures++
        this.o.onError(err, this.o.name)
        if (this.o.maxRetries !== undefined && failures > this.o.maxRetries) {
          this.o.onDrop?.(batch, err)
          failures = 0
          this.settled(batch.length)
          continue
        }
        this.pending.unshift(...batch)
        if (this.stopped) return
        const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1))
        let retry: { timer: NodeJS.Timeout; resolve: () => void } | undefined
        await new Promise<void>((resolve) => {
          retry = { timer: setTimeout(resolve, wait), resolve }
          this.retryTimers.add(retry)
        })
        if (retry) this.retryTimers.delete(retry)
      }
    }
  }
}
