import { errorMessage } from '../core/errors.ts'
import type { TaskEvent, TaskEventKind } from '../core/events.ts'
import type { Completion, TaskError, TaskInsert } from '../core/task.ts'
import { validateNewTask } from '../core/validate.ts'
import type { TaskLog } from '../queue/driver.ts'
import type { LostReason, LostTask } from '../workers/pool.ts'
import type { WorkerItem } from '../workers/protocol.ts'
import { retryDecision } from './backoff.ts'
import type { Completer } from './completer.ts'
import type { DroneContext } from './context.ts'
import type { LocalTask, LocalUpdate } from './local-queue.ts'
import type { PoolEntry, WorkerSet } from './worker-set.ts'

type EventExtra = Omit<TaskEvent, 'kind' | 'taskId' | 'type' | 'at'>
type Pending = { kind: TaskEventKind; task: LocalTask; extra: EventExtra | undefined }
type EnqueueItem = Extract<WorkerItem, { k: 'enqueue' }>

/** Crash losses of an unstarted task that count as a failed attempt (see onLost). */
const UNSTARTED_LOSSES_AS_ATTEMPT = 2

/** Rows per taskInsertMany call for postbacks (one batch of worker items may carry thousands). */
const POSTBACK_BATCH = 1000

/**
 * Turns what worker processes report into local-queue transitions, completions, logs and events:
 * one local-queue transaction per batch of items, then the events, then the completions go to the
 * completer. Reports about tasks no longer in hand (dropped after a lost lease or a cancel) are ignored.
 */
export class TaskFlow {
  /** Attempts finished by this drone since start, by type: succeeded, and failed (retried or final). */
  readonly counts = new Map<string, { succeeded: number; failed: number }>()

  constructor(
    private readonly ctx: DroneContext,
    private readonly workers: WorkerSet,
    private readonly completer: Completer,
    /** Capacity freed: tasks finished (their outcome is on its way) → the pump may claim. */
    private readonly onFreed: () => void,
  ) {}

  /** The outcome of a failed attempt: retried with backoff, or final. */
  failure(task: LocalTask, error: TaskError, permanent: boolean, extra: { pid?: number | null; startedAt?: number | null }): Completion {
    const s = this.ctx.settings
    const retryDelayMs = retryDecision(
      { attempt: task.attempt, maxAttempts: task.maxAttempts, permanent },
      { baseMs: s.retryBaseMs, maxMs: s.retryMaxMs },
    )
    return {
      id: task.id,
      leaseSeq: task.leaseSeq,
      outcome: { kind: 'failed', error, retryDelayMs },
      workerPid: extra.pid ?? null,
      startedAt: extra.startedAt ? new Date(extra.startedAt) : null,
    }
  }

  onItems(entry: PoolEntry, workerId: string, pid: number, items: readonly WorkerItem[]): void {
    const local = this.ctx.local
    const listening = this.ctx.events.listening
    const events: Pending[] = []
    const updates: LocalUpdate[] = []
    const completions: Completion[] = []
    const logs: TaskLog[] = []
    const postbacks: EnqueueItem[] = []
    // Both within this batch: the local rows change only when the batch's transaction commits.
    const startedAt = new Map<string, number>()
    const finished = new Set<string>()
    let freed = false

    for (const item of items) {
      if (item.k === 'enqueue') {
        postbacks.push(item)
        continue
      }
      const task = local.taskGet({ id: item.id })
      // Stale reports: about a task no longer in hand, or from a run this drone no longer holds
      // (a re-claimed task sent to another process, or dropped and re-claimed).
      if (!task || task.workerId !== workerId || task.pid !== pid) continue
      switch (item.k) {
        case 'started':
          if (task.state !== 'dispatched') break
          updates.push({ id: task.id, to: 'started', at: item.at })
          startedAt.set(task.id, item.at)
          if (listening) events.push({ kind: 'started', task, extra: { workerId, pid } })
          break
        case 'succeeded': {
          // Only a started run finishes: the host always reports 'started' first.
          if ((task.state !== 'started' && !startedAt.has(task.id)) || finished.has(task.id)) break
          finished.add(task.id)
          freed = true
          const st = task.startedAt ?? startedAt.get(task.id) ?? item.at
          const completion: Completion = {
            id: task.id,
            leaseSeq: task.leaseSeq,
            outcome: { kind: 'succeeded', resultJson: item.resultJson },
            workerPid: pid,
            startedAt: new Date(st),
          }
          updates.push({ id: task.id, to: 'done', completion })
          completions.push(completion)
          this.count(task.type).succeeded++
          if (listening) events.push({ kind: 'succeeded', task, extra: { workerId, pid, durationMs: item.at - st } })
          break
        }
        case 'failed': {
          if ((task.state !== 'started' && !startedAt.has(task.id)) || finished.has(task.id)) break
          // Aborted because this drone dropped the task: the row is a newer lease's, not this run's.
          if (item.aborted === 'cancelled' || item.aborted === 'lease-lost') break
          finished.add(task.id)
          freed = true
          const st = task.startedAt ?? startedAt.get(task.id) ?? item.at
          if (item.aborted === 'shutdown') {
            // Our doing (a stop's or a restart's grace ran out): it runs again, without using an attempt.
            this.handback(task, updates, completions, events, listening)
            break
          }
          const completion = this.failure(task, item.error, item.permanent, { pid, startedAt: st })
          updates.push({ id: task.id, to: 'done', completion })
          completions.push(completion)
          this.count(task.type).failed++
          if (listening) events.push(failureEvent(task, completion, { workerId, pid, durationMs: item.at - st }))
          break
        }
        case 'released':
          if (task.state !== 'dispatched' || finished.has(task.id)) break
          finished.add(task.id)
          freed = true
          if (this.ctx.draining) this.handback(task, updates, completions, events, listening)
          else updates.push({ id: task.id, to: 'buffered' })
          break
        case 'log': {
          const log: TaskLog = { taskId: task.id, attempt: task.attempt, level: item.level, message: item.message, at: new Date(item.at).toISOString() }
          if (item.data !== undefined) log.data = item.data
          logs.push(log)
          if (listening) {
            const l: NonNullable<TaskEvent['log']> = { level: item.level, message: item.message }
            if (item.data !== undefined) l.data = item.data
            events.push({ kind: 'log', task, extra: { workerId, log: l } })
          }
          break
        }
        case 'progress':
          if (listening) events.push({ kind: 'progress', task, extra: { workerId, progress: item.value } })
          break
      }
    }

    if (updates.length > 0) local.taskUpdateMany({ updates })
    for (const e of events) this.ctx.events.task(e.kind, e.task, e.extra)
    this.completer.add(completions)
    this.completer.addLogs(logs)
    if (postbacks.length > 0) void this.postback(entry, workerId, pid, postbacks)
    if (freed) {
      this.workers.dispatch(entry.type)
      this.onFreed()
    }
  }

  /**
   * A worker process died, hung past a timeout, or was recycled with tasks in hand: started tasks fail
   * their attempt (retry rules apply), unstarted ones are buffered again and dispatched elsewhere.
   * A process stopped by the drain (reason 'shutdown') hands its tasks back, started or not.
   */
  onLost(entry: PoolEntry, pid: number, tasks: readonly LostTask[], reason: LostReason): void {
    const local = this.ctx.local
    const listening = this.ctx.events.listening
    const events: Pending[] = []
    const updates: LocalUpdate[] = []
    const completions: Completion[] = []
    for (const { id, started, error } of tasks) {
      const task = local.taskGet({ id })
      if (!task || task.state === 'done' || task.pid !== pid) continue
      let ran = started || task.state === 'started'
      if (!ran && (reason === 'crashed' || reason === 'timeout')) {
        // A task that kills its process at once dies before its 'started' report is flushed, and
        // would be re-dispatched forever without using an attempt. The second such loss counts as
        // a failed attempt (an innocent bystander pays one attempt at most, and is retried).
        task.unstartedLosses = (task.unstartedLosses ?? 0) + 1
        if (task.unstartedLosses >= UNSTARTED_LOSSES_AS_ATTEMPT) ran = true
      }
      if (reason === 'shutdown' || (this.ctx.draining && !ran)) {
        this.handback(task, updates, completions, events, listening)
      } else if (ran) {
        const completion = this.failure(task, error, false, { pid, startedAt: task.startedAt })
        updates.push({ id, to: 'done', completion })
        completions.push(completion)
        this.count(task.type).failed++
        if (listening) events.push(failureEvent(task, completion, { pid }))
      } else {
        updates.push({ id, to: 'buffered' })
      }
    }
    if (updates.length > 0) local.taskUpdateMany({ updates })
    for (const e of events) this.ctx.events.task(e.kind, e.task, e.extra)
    this.completer.add(completions)
    this.workers.dispatch(entry.type)
  }

  /** Hands tasks back to the global queue without using their attempt (buffered, or unstarted). */
  handbackMany(tasks: readonly LocalTask[]): void {
    const listening = this.ctx.events.listening
    const events: Pending[] = []
    const updates: LocalUpdate[] = []
    const completions: Completion[] = []
    for (const task of tasks) if (task.state !== 'done') this.handback(task, updates, completions, events, listening)
    if (updates.length > 0) this.ctx.local.taskUpdateMany({ updates })
    for (const e of events) this.ctx.events.task(e.kind, e.task, e.extra)
    this.completer.add(completions)
  }

  private count(type: string): { succeeded: number; failed: number } {
    let c = this.counts.get(type)
    if (!c) this.counts.set(type, (c = { succeeded: 0, failed: 0 }))
    return c
  }

  private handback(task: LocalTask, updates: LocalUpdate[], completions: Completion[], events: Pending[], listening: boolean): void {
    const completion: Completion = { id: task.id, leaseSeq: task.leaseSeq, outcome: { kind: 'handback' } }
    updates.push({ id: task.id, to: 'done', completion })
    completions.push(completion)
    if (listening) events.push({ kind: 'handed-back', task, extra: undefined })
  }

  /** Postbacks: validated one by one (a bad one answers its own error), inserted in batches. */
  private async postback(entry: PoolEntry, workerId: string, pid: number, items: EnqueueItem[]): Promise<void> {
    const replies: Array<{ reqId: number; id?: string; error?: string }> = []
    const rows: TaskInsert[] = []
    const rowReq: number[] = []
    for (const it of items) {
      try {
        rows.push(validateNewTask({ type: it.type, payload: it.payload, options: { ...it.options, parentId: it.parentId } }, this.ctx.queue.limits))
        rowReq.push(it.reqId)
      } catch (err) {
        replies.push({ reqId: it.reqId, error: errorMessage(err) })
      }
    }
    for (let i = 0; i < rows.length; i += POSTBACK_BATCH) {
      const chunk = rows.slice(i, i + POSTBACK_BATCH)
      try {
        const ids = await this.ctx.driver.taskInsertMany({ tasks: chunk })
        ids.forEach((id, j) => replies.push({ reqId: rowReq[i + j]!, id }))
      } catch (err) {
        for (let j = 0; j < chunk.length; j++) replies.push({ reqId: rowReq[i + j]!, error: errorMessage(err) })
      }
    }
    try {
      entry.pool.replyEnqueue(workerId, replies, pid)
    } catch (err) {
      // The process is gone; its task failed or was handed back already.
      this.ctx.reportError(err, 'postback reply')
    }
  }
}

function failureEvent(task: LocalTask, c: Completion, extra: EventExtra): Pending {
  const outcome = c.outcome
  if (outcome.kind !== 'failed') return { kind: 'failed', task, extra }
  const e: EventExtra = { ...extra, error: outcome.error }
  if (outcome.retryDelayMs === null) return { kind: 'failed', task, extra: e }
  e.retryInMs = outcome.retryDelayMs
  return { kind: 'retried', task, extra: e }
}

