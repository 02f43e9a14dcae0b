import { isAbsolute, resolve } from 'node:path'
import type { WorkerDefinition } from '../core/config.ts'
import type { WorkerEvent } from '../core/events.ts'
import type { AbortReason, RunItem, WorkerItem } from '../workers/protocol.ts'
import { WorkerPool, type LostReason, type LostTask, type WorkerProcessInfo } from '../workers/pool.ts'
import type { ProcessSpawner } from '../workers/spawner.ts'
import { typeCapacity } from './capacity.ts'
import type { DroneContext } from './context.ts'
import type { LocalTask, LocalUpdate } from './local-queue.ts'

/** A worker process as the console shows it: the pool's view plus the task type it serves. */
export type DroneProcessInfo = WorkerProcessInfo & { type: string }

/** One worker definition and its pool of processes. */
export interface PoolEntry {
  type: string
  /** index among the type's definitions */
  index: number
  modulePath: string
  processes: number
  concurrency: number
  timeoutMs: number
  pool: WorkerPool
}

export interface TypeWorkers {
  type: string
  /** typeCapacity(): bufferPerWorker × processes, at least 2 × concurrency × processes */
  capacity: number
  entries: PoolEntry[]
}

export interface PoolHandlers {
  items(entry: PoolEntry, workerId: string, pid: number, items: WorkerItem[]): void
  lost(entry: PoolEntry, pid: number, tasks: LostTask[], reason: LostReason): void
  worker(e: WorkerEvent): void
}

/**
 * The drone's worker pools by task type, and dispatch: buffered tasks go to the definition with the
 * most free slots, one `run` message per process per batch, and are marked dispatched in one
 * local-queue transaction per dispatch call.
 */
export class WorkerSet {
  readonly byType = new Map<string, TypeWorkers>()

  constructor(
    private readonly ctx: DroneContext,
    params: {
      workers: Record<string, WorkerDefinition | WorkerDefinition[]>
      baseDir: string
      spawner: ProcessSpawner
      handlers: PoolHandlers
    },
  ) {
    const s = ctx.settings
    for (const [type, defs] of Object.entries(params.workers)) {
      const list = Array.isArray(defs) ? defs : [defs]
      const entries = list.map((def, index): PoolEntry => {
        const modulePath = isAbsolute(def.module) ? def.module : resolve(params.baseDir, def.module)
        const processes = def.processes ?? 1
        const concurrency = def.concurrency ?? 1
        const timeoutMs = def.taskTimeoutMs ?? s.taskTimeoutMs
        const pool = new WorkerPool({
          type,
          // Worker ids stay unique across the definitions of one type: "upload#1", "upload[2]#1".
          id: index === 0 ? type : `${type}[${index + 1}]`,
          modulePath,
          config: def.config,
          processes,
          concurrency,
          taskTimeoutMs: timeoutMs,
          ...(def.maxTasksPerProcess === undefined ? {} : { maxTasksPerProcess: def.maxTasksPerProcess }),
          ...(def.maxRssMb === undefined ? {} : { maxRssMb: def.maxRssMb }),
          spawner: params.spawner,
        })
        const entry: PoolEntry = { type, index, modulePath, processes, concurrency, timeoutMs, pool }
        const h = params.handlers
        pool.on('items', (workerId, pid, items) => h.items(entry, workerId, pid, items))
        pool.on('lost', (_workerId, pid, tasks, reason) => h.lost(entry, pid, tasks, reason))
        pool.on('worker', (e) => h.worker(e))
        return entry
      })
      this.byType.set(type, { type, capacity: typeCapacity(s.bufferPerWorker, entries), entries })
    }
  }

  /** Starts every pool; if one fails (a WorkerModuleError), stops those started and rethrows. */
  async start(): Promise<void> {
    const all = this.entries()
    const results = await Promise.allSettled(all.map((e) => e.pool.start()))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) {
      await Promise.allSettled(all.map((e) => e.pool.stop(0)))
      throw failed.reason
    }
  }

  entries(): PoolEntry[] {
    const out: PoolEntry[] = []
    for (const t of this.byType.values()) out.push(...t.entries)
    return out
  }

  freeSlots(type: string): number {
    const t = this.byType.get(type)
    if (!t) return 0
    let n = 0
    for (const e of t.entries) n += e.pool.freeSlots()
    return n
  }

  /** Dispatches buffered tasks of `type` while some process of the type has a free slot. */
  dispatch(type: string): number {
    const t = this.byType.get(type)
    if (!t || this.ctx.draining) return 0
    const updates: LocalUpdate[] = []
    const sent: Array<{ task: LocalTask; workerId: string; pid: number }> = []
    const taken = new Set<string>()
    // Bounded: each round fills one process's free slots; 1,024 rounds is more processes than a type may have.
    for (let round = 0; round < 1024; round++) {
      let best: PoolEntry | undefined
      let bestFree = 0
      for (const e of t.entries) {
        const free = e.pool.freeSlots()
        if (free > bestFree) {
          best = e
          bestFree = free
        }
      }
      if (!best) break
      const tasks = this.ctx.local.taskListBuffered({ type, limit: bestFree + taken.size }).filter((x) => !taken.has(x.id))
      if (tasks.length === 0) break
      const byId = new Map<string, LocalTask>()
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
        updates.push({ id: a.id, to: 'dispatched', workerId: a.workerId, pid: a.pid ?? null })
        sent.push({ task: byId.get(a.id)!, workerId: a.workerId, pid: a.pid })
      }
    }
    if (updates.length === 0) return 0
    this.ctx.local.taskUpdateMany({ updates })
    if (this.ctx.events.listening) {
      for (const s of sent) this.ctx.events.task('dispatched', s.task, { workerId: s.workerId, pid: s.pid })
    }
    return updates.length
  }

  /** Aborts tasks in whichever process of the type holds them. */
  abort(type: string, ids: string[], reason: AbortReason): void {
    if (ids.length === 0) return
    for (const e of this.byType.get(type)?.entries ?? []) e.pool.abort(ids, reason)
  }

  /** Every worker process, with the task type it serves. */
  processes(): DroneProcessInfo[] {
    const out: DroneProcessInfo[] = []
    for (const e of this.entries()) for (const p of e.pool.processes()) out.push({ ...p, type: e.type })
    return out
  }

  async restart(type: string, workerId: string | undefined, options: { inspect?: boolean }): Promise<void> {
    const t = this.byType.get(type)
    if (!t) throw new Error(`no workers for type ${type}`)
    await Promise.all(
      t.entries.map((e) => (workerId === undefined || e.pool.processes().some((p) => p.workerId === workerId) ? e.pool.restart(workerId, options) : undefined)),
    )
  }

  /** Stops every pool: running tasks get graceMs to finish. */
  async stop(graceMs: number): Promise<void> {
    await Promise.allSettled(this.entries().map((e) => e.pool.stop(graceMs)))
  }

  /**
   * Kills every worker process now (a second stop() while draining). The pools' stop() is already
   * under way, so they report the killed processes' tasks as lost (reason 'shutdown') and respawn none.
   */
  killAll(): void {
    for (const p of this.processes()) {
      if (p.state === 'exited' || p.state === 'crashed') continue
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        // already gone: its exit is being reported
      }
    }
  }
}
