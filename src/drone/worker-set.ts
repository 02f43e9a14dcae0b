import { isAbsolute, resolve } from 'node:path'
import type { WorkerDefinition } from '../core/config.ts'
import type { WorkerEvent } from '../core/events.ts'
import type { AbortReason, WorkerItem } from '../workers/protocol.ts'
import { WorkerPool, type LostReason, type LostTask, type WorkerProcessInfo } from '../workers/pool.ts'
import type { ProcessSpawner } from '../workers/spawner.ts'
import { InputError } from '../core/errors.ts'
import type { ProfiledPool } from '../workers/profiling.ts'
import { typeCapacity } from './capacity.ts'
import type { DroneSettings } from './settings.ts'

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

/** The drone's worker pools by task type (the loop dispatches to them; the ledger aborts in them). */
export class WorkerSet {
  readonly byType = new Map<string, TypeWorkers>()

  constructor(
    params: {
      /** The drone's settings this part needs. */
      settings: Pick<DroneSettings, 'bufferPerWorker' | 'taskTimeoutMs'>
      workers: Record<string, WorkerDefinition | WorkerDefinition[]>
      baseDir: string
      spawner: ProcessSpawner
    },
  ) {
    const s = params.settings
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
        return entry
      })
      this.byType.set(type, { type, capacity: typeCapacity(s.bufferPerWorker, entries), entries })
    }
  }

  /** Routes every pool's reports to `handlers` (before start()). */
  on(handlers: PoolHandlers): void {
    for (const entry of this.entries()) {
      entry.pool.on('items', (workerId, pid, items) => handlers.items(entry, workerId, pid, items))
      entry.pool.on('lost', (_workerId, pid, tasks, reason) => handlers.lost(entry, pid, tasks, reason))
      entry.pool.on('worker', (e) => handlers.worker(e))
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

  /**
   * Routes every next task of `type` to the process `pid` (a console debug session's: "debug the
   * next task of type T" with several processes): that process's pool takes them all, the type's
   * other pools none, while the pin holds. False when no dispatchable process of the type has that pid.
   */
  pin(type: string, pid: number): boolean {
    const entries = this.byType.get(type)?.entries ?? []
    const entry = entries.find((e) => e.pool.pin(pid))
    if (!entry) return false
    // One pin per type: a pin elsewhere (another definition's process) ends.
    for (const e of entries) if (e !== entry) e.pool.unpin()
    return true
  }

  /** Ends the pin of `type` on `pid` (a no-op when the type's pin is on another process by now). */
  unpin(type: string, pid: number): void {
    for (const e of this.byType.get(type)?.entries ?? []) e.pool.unpin(pid)
  }

  /** The type's pool holding a live pin, if any: dispatch goes there alone. */
  pinned(type: string): PoolEntry | undefined {
    return this.byType.get(type)?.entries.find((e) => e.pool.pinnedPid() !== undefined)
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

  /** The pools of a type to profile: all of them, or the one holding `workerId`. */
  profiledPools(type: string, workerId?: string): ProfiledPool[] {
    const t = this.byType.get(type)
    if (!t) throw new InputError(`this drone has no workers for type "${type}"`)
    const entries = workerId === undefined ? t.entries : t.entries.filter((e) => e.pool.processes().some((p) => p.workerId === workerId))
    if (entries.length === 0) throw new InputError(`no worker process ${workerId} serves type "${type}" here`)
    return entries.map((e) => ({ type, pool: e.pool }))
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
