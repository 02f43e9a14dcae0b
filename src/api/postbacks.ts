/**
 * The type-level postback map of the Flow view: which task types enqueue which, with a rate per edge,
 * drawn from live events of the drones this console runs. A postback is stored through its drone's
 * Queue (Queue.insertValidated), whose enqueue listener hands us the stored rows: each carries its
 * parentId, and the parent is in the hands of the drone whose worker enqueued it (running, or its
 * outcome not yet acknowledged), so its type is one ledger lookup (Drone.heldType). Nothing runs on
 * the drones' per-task event path. Counts go into one-second buckets kept for MAX_WINDOW_MS; a read
 * sums the buckets of the window asked for.
 *
 * What it cannot see: postbacks made by drones of other processes (another console, `swarmage drone`
 * on another machine), and one whose parent's outcome the queue acknowledged before the postback was
 * stored (a handler that does not await ctx.enqueue racing its own completion). The map says which
 * drones it covers.
 */
import type { TaskInsert } from '../core/task.ts'
import type { Queue } from '../queue/queue.ts'

/** Longest window a read may ask for; buckets older than this are dropped. */
export const MAX_WINDOW_MS = 10 * 60_000
export const DEFAULT_WINDOW_MS = 60_000
const BUCKET_MS = 1000

export interface PostbackEdge {
  /** the enqueuing (parent) task's type */
  from: string
  /** the postback's type */
  to: string
  /** postbacks in the window */
  count: number
  /** count per minute over the window */
  perMinute: number
}

export interface PostbackMapView {
  /** ms covered: the window asked for, or less when the console has not watched that long */
  windowMs: number
  /** server clock, ms since epoch */
  at: number
  edges: PostbackEdge[]
  /** the drones whose postbacks are counted (those this console runs) */
  drones: string[]
}

/** The type of a task held by one of the console's drones, or undefined. */
export type ParentTypeOf = (taskId: string) => string | undefined

export class PostbackMap {
  /** second (ms / 1000, floored) → edge key → count; oldest first (insertion order). */
  private readonly buckets = new Map<number, Map<string, number>>()
  private readonly watched = new Map<Queue, { off: () => void; users: number }>()
  private readonly since: number

  constructor(
    private readonly parentType: ParentTypeOf,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now()
  }

  /** Counts the postbacks among stored rows (an enqueue listener of a drone's Queue). */
  enqueued(rows: readonly TaskInsert[]): void {
    let bucket: Map<string, number> | undefined
    for (const r of rows) {
      if (r.parentId === null) continue
      const from = this.parentType(r.parentId)
      if (from === undefined) continue
      bucket ??= this.bucket()
      const key = `${from}\n${r.type}`
      bucket.set(key, (bucket.get(key) ?? 0) + 1)
    }
  }

  /** Listens to a queue's enqueues, once per queue however many drones share it; returns the release. */
  watch(queue: Queue): () => void {
    let w = this.watched.get(queue)
    if (!w) {
      w = { off: queue.onEnqueued((_types, rows) => this.enqueued(rows)), users: 0 }
      this.watched.set(queue, w)
    }
    w.users++
    let released = false
    return () => {
      if (released) return
      released = true
      const entry = this.watched.get(queue)
      if (entry && --entry.users === 0) {
        entry.off()
        this.watched.delete(queue)
      }
    }
  }

  /** The edges of the last `windowMs`, busiest first. */
  view(windowMs: number, drones: string[]): PostbackMapView {
    const now = this.now()
    const window = Math.min(windowMs, MAX_WINDOW_MS)
    this.prune(now)
    const from = Math.floor((now - window) / BUCKET_MS)
    const counts = new Map<string, number>()
    for (const [second, edges] of this.buckets) {
      if (second < from) continue
      for (const [key, n] of edges) counts.set(key, (counts.get(key) ?? 0) + n)
    }
    // A console watching for less than the window: the rate is over what it saw, not diluted.
    const covered = Math.max(BUCKET_MS, Math.min(window, now - this.since))
    const edges: PostbackEdge[] = []
    for (const [key, count] of counts) {
      const [f, t] = key.split('\n') as [string, string]
      edges.push({ from: f, to: t, count, perMinute: Math.round((count * 60_000 * 10) / covered) / 10 })
    }
    edges.sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
    return { windowMs: covered, at: now, edges, drones }
  }

  close(): void {
    for (const w of this.watched.values()) w.off()
    this.watched.clear()
  }

  private bucket(): Map<string, number> {
    const now = this.now()
    const second = Math.floor(now / BUCKET_MS)
    let b = this.buckets.get(second)
    if (!b) {
      this.prune(now)
      this.buckets.set(second, (b = new Map()))
    }
    return b
  }

  private prune(now: number): void {
    const oldest = Math.floor((now - MAX_WINDOW_MS) / BUCKET_MS)
    for (const second of this.buckets.keys()) {
      if (second >= oldest) break
      this.buckets.delete(second)
    }
  }
}
