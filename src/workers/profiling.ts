/**
 * "Profile the next N tasks" and heap snapshots, across the worker processes of a type (or one of them).
 *
 * How N is split over several processes: every process starts profiling at once and counts the tasks
 * that start and finish under its profiler (host-profiler.ts); each reports its count as it goes, and
 * once the counts add up to N every process is told to stop. So the type covers N tasks in all, in
 * whichever processes ran them (a busy process covers more), and each process's profile comes back as
 * one part: a .cpuprofile holds one process's samples, and profiles of two processes do not merge.
 * A process stops by itself at N too (a single process needs no round trip), and every part stops at
 * `maxMs` with what it has, so a profile of an idle type ends.
 */
import { randomUUID } from 'node:crypto'
import type { WorkerEvent } from '../core/events.ts'
import type { ProfilingMessage, WorkerPool } from './pool.ts'

export const PROFILE_DEFAULTS = {
  /** V8's sampling interval: 200 µs sees a 2 ms handler about ten times (Node's --cpu-prof default is 1000). */
  intervalUs: 200,
  /** One process's .cpuprofile, serialized: 20 tasks of a small module make ~100 KB; a bigger one is refused. */
  maxBytes: 64 * 1024 * 1024,
  /** A profile ends after this with the tasks it has (an idle type would otherwise profile forever). */
  maxMs: 10 * 60_000,
  /** A heap snapshot above this is dropped: a cut snapshot does not parse. */
  heapMaxBytes: 512 * 1024 * 1024,
} as const

export interface ProfileRequest {
  /** N: tasks to cover, in all the processes together */
  tasks: number
  /** one process (its worker id); default every process of the pools */
  workerId?: string | undefined
  intervalUs?: number
  maxBytes?: number
  maxMs?: number
  /** told the covered count, in all processes, each time a covered task finishes */
  onProgress?: (covered: number) => void
}

/** One process's share of a profile. */
export interface CpuProfilePart {
  type: string
  workerId: string
  pid: number
  /** epoch ms, this process's clock */
  startedAt: number
  endedAt: number
  /** tasks that started and finished under the profiler, in finishing order */
  taskIds: string[]
  samples: number
  /** the `.cpuprofile` (Chrome DevTools' format); absent when `error` says why */
  profileJson?: string
  error?: string
}

export interface ProfileRun {
  id: string
  /** the processes profiling */
  targets: Array<{ type: string; workerId: string; pid: number }>
  /** covered tasks so far, in all processes */
  covered(): number
  /** ends every part now, with what each has */
  stop(): void
  /** every part, once each process answered (or exited) */
  done: Promise<CpuProfilePart[]>
}

export interface ProfiledPool {
  type: string
  pool: WorkerPool
}

interface PartState {
  type: string
  workerId: string
  pid: number
  pool: WorkerPool
  done: number
  chunks: string[]
  part?: CpuProfilePart
}

/** Starts profiling in every ready process of `pools` (or the one named); throws when none is ready. */
export function startProfile(pools: ProfiledPool[], req: ProfileRequest): ProfileRun {
  const id = randomUUID()
  const wanted = Math.max(1, Math.floor(req.tasks))
  const parts: PartState[] = []
  const message = {
    t: 'profile-start' as const,
    profileId: id,
    tasks: wanted,
    intervalUs: req.intervalUs ?? PROFILE_DEFAULTS.intervalUs,
    maxBytes: req.maxBytes ?? PROFILE_DEFAULTS.maxBytes,
  }
  let settle!: (parts: CpuProfilePart[]) => void
  const done = new Promise<CpuProfilePart[]>((resolve) => (settle = resolve))
  const unlisten: Array<() => void> = []
  let stopped = false

  const covered = (): number => parts.reduce((n, p) => n + p.done, 0)
  const stop = (): void => {
    if (stopped) return
    stopped = true
    for (const p of parts) if (!p.part) p.pool.sendProfiling(p.workerId, { t: 'profile-stop', profileId: id })
  }
  const finishIfDone = (): void => {
    if (parts.some((p) => !p.part)) return
    clearTimeout(timer)
    for (const off of unlisten) off()
    settle(parts.map((p) => p.part!))
  }
  const find = (pool: WorkerPool, workerId: string, pid: number): PartState | undefined =>
    parts.find((p) => p.pool === pool && p.workerId === workerId && p.pid === pid && !p.part)

  const timer = setTimeout(stop, req.maxMs ?? PROFILE_DEFAULTS.maxMs)
  timer.unref()
  for (const { type, pool } of pools) {
    const onProfiling = (workerId: string, pid: number, m: ProfilingMessage): void => {
      const p = find(pool, workerId, pid)
      if (!p) return
      if (m.t === 'profile-progress' && m.profileId === id) {
        p.done = m.done
        const n = covered()
        req.onProgress?.(n)
        if (n >= wanted) stop()
      } else if (m.t === 'chunk' && m.reqId === id) {
        p.chunks.push(m.data)
      } else if (m.t === 'profile-end' && m.profileId === id) {
        const part: CpuProfilePart = { type, workerId, pid, startedAt: m.startedAt, endedAt: m.endedAt, taskIds: m.taskIds, samples: m.samples }
        if (m.error) part.error = m.error
        else part.profileJson = p.chunks.join('')
        p.chunks = []
        p.part = part
        // This one reached N by itself: the others stop too.
        if (covered() >= wanted || m.taskIds.length >= wanted) stop()
        finishIfDone()
      }
    }
    const onWorker = (e: WorkerEvent): void => {
      if (e.kind !== 'worker-exited' || e.pid === undefined) return
      const p = find(pool, e.workerId, e.pid)
      if (!p) return
      p.part = { type, workerId: p.workerId, pid: p.pid, startedAt: Date.now(), endedAt: Date.now(), taskIds: [], samples: 0, error: 'the worker process exited before its profile came back' }
      finishIfDone()
    }
    pool.on('profiling', onProfiling)
    pool.on('worker', onWorker)
    unlisten.push(() => pool.off('profiling', onProfiling), () => pool.off('worker', onWorker))
    for (const t of pool.sendProfiling(req.workerId, message)) parts.push({ type, pool, workerId: t.workerId, pid: t.pid, done: 0, chunks: [] })
  }
  if (parts.length === 0) {
    clearTimeout(timer)
    for (const off of unlisten) off()
    throw new Error(`no ready worker process${req.workerId ? ` ${req.workerId}` : ''} to profile`)
  }
  return { id, targets: parts.map((p) => ({ type: p.type, workerId: p.workerId, pid: p.pid })), covered, stop, done }
}

export interface HeapSnapshotResult {
  type: string
  workerId: string
  pid: number
  bytes: number
}

/**
 * A heap snapshot of one process (the named one, else the pool's first ready one). `write` gets each
 * chunk in order as it arrives (the caller streams it to a file); rejects when the process fails it,
 * exits, or the snapshot is above `maxBytes`.
 */
export function takeHeapSnapshot(
  target: ProfiledPool,
  opts: { workerId?: string | undefined; maxBytes?: number; write: (chunk: string) => void },
): { workerId: string; pid: number; done: Promise<HeapSnapshotResult> } {
  const reqId = randomUUID()
  const { pool, type } = target
  const workerId = opts.workerId ?? pool.processes().find((p) => p.state === 'idle' || p.state === 'busy')?.workerId
  if (workerId === undefined) throw new Error(`no ready ${type} worker process for a heap snapshot`)
  let reached: { workerId: string; pid: number } | undefined
  const done = new Promise<HeapSnapshotResult>((resolve, reject) => {
    const off = (): void => {
      pool.off('profiling', onProfiling)
      pool.off('worker', onWorker)
    }
    const onProfiling = (wid: string, pid: number, m: ProfilingMessage): void => {
      if (wid !== reached?.workerId || pid !== reached.pid) return
      if (m.t === 'chunk' && m.reqId === reqId) {
        try {
          opts.write(m.data)
        } catch (err) {
          off()
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      } else if (m.t === 'heap-end' && m.reqId === reqId) {
        off()
        if (m.error) reject(new Error(m.error))
        else resolve({ type, workerId: wid, pid, bytes: m.bytes })
      }
    }
    const onWorker = (e: WorkerEvent): void => {
      if (e.kind !== 'worker-exited' || e.workerId !== reached?.workerId || e.pid !== reached.pid) return
      off()
      reject(new Error(`worker process ${e.workerId} (pid ${e.pid}) exited before its heap snapshot was complete`))
    }
    pool.on('profiling', onProfiling)
    pool.on('worker', onWorker)
    reached = pool.sendProfiling(workerId, { t: 'heap-snapshot', reqId, maxBytes: opts.maxBytes ?? PROFILE_DEFAULTS.heapMaxBytes })[0]
    if (!reached) {
      off()
      reject(new Error(`worker process ${workerId} is not ready for a heap snapshot`))
    }
  })
  if (!reached) {
    done.catch(() => undefined)
    throw new Error(`worker process ${workerId} is not ready for a heap snapshot`)
  }
  return { workerId: reached.workerId, pid: reached.pid, done }
}
