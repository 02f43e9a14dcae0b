/**
 * Many timeouts on one timer: deadlines are rounded up to `resolutionMs` and kept in buckets; one
 * timer is armed for the earliest bucket. Adding and removing are a Map and a Set operation, so a
 * task's timeout costs no Timeout object, no timer-list insertion and no clearTimeout: with tens of
 * thousands of tasks a second through a pool (and again in each worker host), per-task timers were
 * measurable (docs/performance.md). A timeout fires up to `resolutionMs` late, never early.
 */
export class TimeoutWheel<K> {
  private readonly buckets = new Map<number, Set<K>>()
  private readonly deadlineOf = new Map<K, number>()
  private timer: NodeJS.Timeout | undefined
  private armedFor = Infinity

  constructor(
    private readonly onTimeout: (key: K) => void,
    private readonly resolutionMs = 25,
  ) {}

  get size(): number {
    return this.deadlineOf.size
  }

  /** (Re)sets `key`'s timeout to `ms` from now. */
  add(key: K, ms: number): void {
    this.delete(key)
    const r = this.resolutionMs
    const at = Math.ceil((Date.now() + ms) / r) * r
    let bucket = this.buckets.get(at)
    if (!bucket) this.buckets.set(at, (bucket = new Set()))
    bucket.add(key)
    this.deadlineOf.set(key, at)
    if (at < this.armedFor) this.arm(at)
  }

  delete(key: K): void {
    const at = this.deadlineOf.get(key)
    if (at === undefined) return
    this.deadlineOf.delete(key)
    const bucket = this.buckets.get(at)
    if (!bucket) return
    bucket.delete(key)
    if (bucket.size === 0) this.buckets.delete(at)
    // The timer stays armed (firing on nothing costs one scan) unless nothing is left.
    if (this.deadlineOf.size === 0) this.clear()
  }

  /** Forgets every timeout and stops the timer. */
  clear(): void {
    this.buckets.clear()
    this.deadlineOf.clear()
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.armedFor = Infinity
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.armedFor = at
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - Date.now()))
    // The owner's other handles keep the process alive; a pending timeout alone must not.
    this.timer.unref()
  }

  private fire(): void {
    this.timer = undefined
    this.armedFor = Infinity
    const now = Date.now()
    const due: K[] = []
    let next = Infinity
    for (const [at, bucket] of this.buckets) {
      if (at <= now) {
        for (const key of bucket) due.push(key)
        this.buckets.delete(at)
      } else if (at < next) {
        next = at
      }
    }
    for (const key of due) this.deadlineOf.delete(key)
    if (next !== Infinity) this.arm(next)
    for (const key of due) this.onTimeout(key)
  }
}
