/**
 * The type-level postback map of the Flow view: which task types enqueue which, with a rate per edge,
 * drawn from live events of the drones this console runs. A postback is stored through its drone's
 * Queue (Queue.insertValidated), whose enqueue listener hands us the rows: each carries its parentId.
 * The parent's type comes from the drones' own task events: a task that started in one of our drones
 * is remembered (id → type) until shortly after it finished. Counts go into one-second buckets kept
 * for MAX_WINDOW_MS; a read sums the buckets of the window asked for.
 *
 * What it cannot see: postbacks made by drones of other processes (another console, `swarmage drone`
 * on another machine). The map says which drones it covers.
 */
import type { DroneEvent } from '../core/events.ts'
import type { TaskInsert } from '../core/task.ts'
import type { Queue } from '../queue/queue.ts'

/** Longest window a read may ask for; buckets older than this are dropped. */
export const MAX_WINDOW_MS = 10 * 60_000
export const DEFAULT_WINDOW_MS = 60_000
const BUCKET_MS = 1000
/** Started tasks remembered at most (a drone killed mid-run never reports their end); past this the map starts over. */
const MAX_RUNNING = 100_000
/**
 * A finished parent is remembered this long after its end: its last postbacks may be stored after its
 * outcome was acknowledged (a handler that does not await ctx.enqueue races its own completion).
 */
const FINISHED_KEEP_MS = 10_000
/** Parents awaited at most (see PostbackMap.await). */
const MAX_PENDING = 10_000

const FINAL = new Set<DroneEvent['kind']>(['succeeded', 'failed', 'retried', 'cancelled', 'handed-back', 'lease-lost'])

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

export class PostbackMap {
  /** id → type of tasks started in our drones and not finished. */
  private running = new Map<string, string>()
  /** Two generations of finished tasks (id → type), rotated every FINISHED_KEEP_MS. */
  private finished = new Map<string, string>()
  private finishedOld = new Map<string, string>()
  private rotatedAt = 0
  /** Postbacks heard of before their parent's 'started' event (parent id → postback types), two generations. */
  private pending = new Map<string, string[]>()
  private pendingOld = new Map<string, string[]>()
  private pendingRotatedAt = 0
  /** second (ms / 1000, floored) → edge key → count; oldest first (insertion order). */
  private readonly buckets = new Map<number, Map<string, number>>()
  private readonly watched = new Map<Queue, { off: () => void; users: number }>()
  private readonly since: number

  constructor(private readonly now: () => number = Date.now) {
    this.since = now()
  }

  /** A drone event (every event of every console drone goes through here: keep it cheap). */
  observe(e: DroneEvent): void {
    if (e.kind === 'started') {
      if (this.running.size >= MAX_RUNNING) this.running.clear()
      this.running.set(e.taskId, e.type)
      if (this.pending.size > 0 || this.pendingOld.size > 0) this.settle(e.taskId, e.type)
    } else if (FINAL.has(e.kind)) {
      const t = e as { taskId: string; type: string }
      if (!this.running.delete(t.taskId)) return
      // Rotated on the events' own clock: no timer, and a quiet console keeps nothing growing.
      if (e.at - this.rotatedAt >= FINISHED_KEEP_MS) {
        this.finishedOld = this.finished
        this.finished = new Map()
        this.rotatedAt = e.at
      }
      this.finished.set(t.taskId, t.type)
    }
  }

  /** Counts the postbacks among stored rows (an enqueue listener of a drone's Queue). */
  enqueued(rows: readonly TaskInsert[]): void {
    let bucket: Map<string, number> | undefined
    for (const r of rows) {
      if (r.parentId === null) continue
      const from = this.parentType(r.parentId)
      if (from === undefined) {
        this.await(r.parentId, r.type)
        continue
      }
      bucket ??= this.bucket()
      const key = `${from}\n${r.type}`
      bucket.set(key, (bucket.get(key) ?? 0) + 1)
    }
  }

  /**
   * A postback whose parent has not been seen starting: the drone's 'started' event waits for its
   * local-queue write (one turn), so a task's first postback, stored at once on SQLite, can be heard
   * of first. Kept for at most two FINISHED_KEEP_MS generations; a parent that never starts in one of
   * our drones (a library enqueue naming a parent) just ages out.
   */
  private await(parentId: string, type: string): void {
    const now = this.now()
    if (now - this.pendingRotatedAt >= FINISHED_KEEP_MS) {
      this.pendingOld = this.pending
      this.pending = new Map()
      this.pendingRotatedAt = now
    }
    if (this.pending.size >= MAX_PENDING) this.pending.clear()
    const list = this.pending.get(parentId)
    if (list) list.push(type)
    else this.pending.set(parentId, [type])
  }

  /** The postbacks that waited for this task to start. */
  private settle(parentId: string, parentType: string): void {
    const types = this.pending.get(parentId) ?? this.pendingOld.get(parentId)
    if (types === undefined) return
    this.pending.delete(parentId)
    this.pendingOld.delete(parentId)
    const bucket = this.bucket()
    for (const type of types) {
      const key = `${parentType}\n${type}`
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

  private parentType(id: string): string | undefined {
    return this.running.get(id) ?? this.finished.get(id) ?? this.finishedOld.get(id)
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
