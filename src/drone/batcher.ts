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
}

const RETRY_MIN_MS = 100
const RETRY_MAX_MS = 5_000

export class Batcher<T> {
  private pending: T[] = []
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null
  private retryTimer: { timer: NodeJS.Timeout; resolve: () => void } | null = null
  private stopped = false
  private idleWaiters: Array<() => void> = []

  constructor(private readonly o: BatcherOptions<T>) {}

  get size(): number {
    return this.pending.length
  }

  add(items: readonly T[]): void {
    if (items.length === 0) return
    for (const item of items) this.pending.push(item)
    if (this.flushing) return
    if (this.pending.length >= this.o.maxBatch) this.startFlush()
    else if (!this.timer) this.timer = setTimeout(() => this.startFlush(), this.o.delayMs)
  }

  /** Resolves once everything added so far (and since) has been sent. */
  idle(): Promise<void> {
    if (this.pending.length === 0 && !this.flushing) return Promise.resolve()
    this.startFlush()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Skips the wait of a retry in progress (used when stopping hard). */
  retrySoon(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer.timer)
      this.retryTimer.resolve()
      this.retryTimer = null
    }
  }

  /** After stop(), a failing send is not retried: idle() resolves with the items still pending. */
  stop(): void {
    this.stopped = true
    this.retrySoon()
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.flushing) return
    this.flushing = this.loop().finally(() => {
      this.flushing = null
      if (this.pending.length > 0 && !this.stopped) this.startFlush()
      else {
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
      } catch (err) {
        failures++
        this.o.onError(err, this.o.name)
        if (this.o.maxRetries !== undefined && failures > this.o.maxRetries) {
          this.o.onDrop?.(batch, err)
          failures = 0
          continue
        }
        this.pending.unshift(...batch)
        if (this.stopped) return
        const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1))
        await new Promise<void>((resolve) => {
          this.retryTimer = { timer: setTimeout(resolve, wait), resolve }
        })
        this.retryTimer = null
      }
    }
  }
}
