/**
 * A long-lived part of the drone (after River's startstop): idempotent start and stop. The drone
 * starts its services from one list, in order, and stops them from the same list (drone.ts).
 */
export interface Service {
  readonly name: string
  start(): void | Promise<void>
  /** Stops, waiting for work in flight. Idempotent. */
  stop(): Promise<void>
}

/**
 * `Periodic`: a service that runs `run` every `intervalMs()` and whenever kicked, one run at a time;
 * kicks while a run is in flight coalesce into one more run right after it, so a burst of wake-ups
 * costs at most two runs.
 */
export interface PeriodicOptions {
  name: string
  /** Read before every wait, so a service can speed up (the loop while signals are polled). */
  intervalMs: () => number
  run: () => Promise<void>
  /** Errors of a run: reported, never swallowed, never fatal (the next run retries). */
  onError: (err: unknown, name: string) => void
  /** Run at once on start (default true). */
  runOnStart?: boolean
}

export class Periodic implements Service {
  private started = false
  private timer: NodeJS.Timeout | null = null
  private inFlight: Promise<void> | null = null
  private again = false
  private kickScheduled = false

  constructor(private readonly options: PeriodicOptions) {}

  get name(): string {
    return this.options.name
  }

  get running(): boolean {
    return this.started
  }

  start(): void {
    if (this.started) return
    this.started = true
    if (this.options.runOnStart ?? true) this.kick()
    else this.schedule()
  }

  /** Runs as soon as possible: now (next tick) when idle, right after the current run otherwise. */
  kick(): void {
    if (!this.started) return
    if (this.inFlight) {
      this.again = true
      return
    }
    if (this.kickScheduled) return
    this.kickScheduled = true
    // setImmediate: several kicks from one turn of the event loop become one run.
    setImmediate(() => {
      this.kickScheduled = false
      if (this.started && !this.inFlight) void this.runOnce()
      else if (this.inFlight) this.again = true
    })
  }

  /** Stops the timer and waits for a run in flight. Idempotent. */
  async stop(): Promise<void> {
    this.started = false
    this.again = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.inFlight) await this.inFlight
  }

  /** Resolves after the run in flight (if any) and one more complete run. */
  async runNow(): Promise<void> {
    if (this.inFlight) await this.inFlight
    await this.runOnce()
  }

  private runOnce(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const p = (async () => {
      try {
        await this.options.run()
      } catch (err) {
        this.options.onError(err, this.options.name)
      }
    })()
    this.inFlight = p
    void p.then(() => {
      if (this.inFlight === p) this.inFlight = null
      if (!this.started) return
      if (this.again) {
        this.again = false
        void this.runOnce()
      } else {
        this.schedule()
      }
    })
    return p
  }

  private schedule(): void {
    if (!this.started || this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      if (this.started && !this.inFlight) void this.runOnce()
    }, this.options.intervalMs())
  }
}
