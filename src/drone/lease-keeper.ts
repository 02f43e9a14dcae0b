import type { AbortReason } from '../workers/protocol.ts'
import type { DroneContext } from './context.ts'
import type { LocalTask } from './local-queue.ts'
import { Periodic } from './service.ts'
import type { WorkerSet } from './worker-set.ts'

/** Leases per taskLeaseExtend call. */
const EXTEND_BATCH = 1000

/**
 * Keeps the leases of every task in hand (buffered, dispatched, started, and done until its
 * completion is acknowledged) alive: every leaseMs/3, so two extensions may fail before a lease runs
 * out. A lost lease (expired, rescued, cancelled, deleted) drops the task: its worker aborts it and
 * no outcome is sent (it would be refused by the fence anyway). Cancel signals do the same at once.
 */
export class LeaseKeeper {
  private readonly periodic: Periodic
  /** Leases lost since start (not counting cancels). */
  lost = 0
  lastExtendAt: number | null = null

  constructor(
    private readonly ctx: DroneContext,
    private readonly workers: WorkerSet,
    /** Capacity freed by dropped tasks: the pump may claim again. */
    private readonly onDropped: () => void,
  ) {
    this.periodic = new Periodic({
      name: 'lease keeper',
      intervalMs: () => Math.max(100, Math.floor(ctx.settings.leaseMs / 3)),
      run: () => this.extend(),
      onError: (err, name) => ctx.reportError(err, name),
      runOnStart: false,
    })
  }

  get held(): number {
    return this.ctx.local.size
  }

  start(): void {
    this.periodic.start()
  }

  stop(): Promise<void> {
    return this.periodic.stop()
  }

  async extend(): Promise<void> {
    const tasks = this.ctx.local.taskList()
    for (let i = 0; i < tasks.length; i += EXTEND_BATCH) {
      const chunk = tasks.slice(i, i + EXTEND_BATCH)
      // The lease sequences sent: a task completed and claimed again meanwhile has a new one and stays.
      const sent = new Map(chunk.map((t) => [t.id, t.leaseSeq]))
      const { lost } = await this.ctx.driver.taskLeaseExtend({
        droneId: this.ctx.id,
        leases: chunk.map((t) => ({ id: t.id, leaseSeq: t.leaseSeq })),
        leaseMs: this.ctx.settings.leaseMs,
      })
      const dropped: LocalTask[] = []
      for (const id of lost) {
        const t = this.ctx.local.taskGet({ id })
        // A done task's completion is on its way; the completer reports the refusal.
        if (t && t.leaseSeq === sent.get(id) && t.state !== 'done') dropped.push(t)
      }
      this.dropMany(dropped, 'lease-lost')
    }
    this.lastExtendAt = Date.now()
  }

  /** The queue cancelled these tasks: abort those in hand. */
  onCancel(ids: readonly string[]): void {
    const dropped: LocalTask[] = []
    for (const id of ids) {
      const t = this.ctx.local.taskGet({ id })
      if (t && t.state !== 'done') dropped.push(t)
    }
    this.dropMany(dropped, 'cancelled')
  }

  /** Aborts tasks in their workers, forgets them, and reports each (lease-lost or cancelled). */
  dropMany(tasks: LocalTask[], reason: Extract<AbortReason, 'cancelled' | 'lease-lost'>): void {
    if (tasks.length === 0) return
    const byType = new Map<string, string[]>()
    for (const t of tasks) {
      if (t.state === 'buffered') continue
      const ids = byType.get(t.type) ?? []
      ids.push(t.id)
      byType.set(t.type, ids)
    }
    for (const [type, ids] of byType) this.workers.abort(type, ids, reason)
    this.ctx.local.taskDeleteMany({ refs: tasks })
    if (reason === 'lease-lost') this.lost += tasks.length
    for (const t of tasks) this.ctx.events.task(reason, t)
    this.onDropped()
  }
}
