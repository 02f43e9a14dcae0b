import { errorMessage } from '../core/errors.ts'
import type { TaskEvent, TaskEventKind } from '../core/events.ts'
import type { Completion, TaskError, TaskInsert } from '../core/task.ts'
import { validateNewTask } from '../core/validate.ts'
import type { TaskLog } from '../queue/driver.ts'
import type { LostReason, LostTask } from '../workers/pool.ts'
import type { WorkerItem } from '../workers/protocol.ts'
import { retryDecision } from './backoff.ts'
import type { Completer } from './completer.ts'
import type { DroneContext, EventExtra, Pending } from './context.ts'
import type { LocalTask, LocalUpdate } from './local-queue.ts'
import type { PoolEntry, WorkerSet } from './worker-set.ts'

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
    const step = new Step(this.ctx.events.listening)
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
      const task = this.ctx.local.taskGet({ id: item.id })
      // Stale reports: about a task no longer in hand, or from a run this drone no longer holds
      // (a re-claimed task sent to another process, or dropped and re-claimed).
      if (!task || task.workerId !== workerId || task.pid !== pid) continue
      switch (item.k) {
        case 'started':
          if (task.state !== 'dispatched') break
          step.updates.push({ id: task.id, to: 'started', at: item.at })
          startedAt.set(task.id, item.at)
          // `at`: when the worker started it (before user code ran), not when the drone heard.
          step.event('started', task, { workerId, pid }, item.at)
          break
        case 'succeeded':
        case 'failed': {
          // Only a started run finishes: the host always reports 'started' first.
          if ((task.state !== 'started' && !startedAt.has(task.id)) || finished.has(task.id)) break
          // Aborted because this drone dropped the task: the row is a newer lease's, not this run's.
          if (item.k === 'failed' && (item.aborted === 'cancelled' || item.aborted === 'lease-lost')) break
          finished.add(task.id)
          freed = true
          const st = task.startedAt ?? startedAt.get(task.id) ?? item.at
          // The worker's own monotonic run time (handler start to end); older hosts: the two epoch readings, clamped.
          const extra = { workerId, pid, durationMs: item.runMs ?? Math.max(0, item.at - st) }
          if (item.k === 'succeeded') {
            const completion: Completion = {
              id: task.id,
              leaseSeq: task.leaseSeq,
              outcome: { kind: 'succeeded', resultJson: item.resultJson },
              workerPid: pid,
              startedAt: new Date(st),
            }
            this.count(task.type).succeeded++
            step.finish(task, completion, 'succeeded', extra)
          } else if (item.aborted === 'shutdown') {
            // Our doing (a stop's or a restart's grace ran out): it runs again, without using an attempt.
            step.handback(task)
          } else {
            this.count(task.type).failed++
            step.fail(task, this.failure(task, item.error, item.permanent, { pid, startedAt: st }), extra)
          }
          break
        }
        case 'released':
          if (task.state !== 'dispatched' || finished.has(task.id)) break
          finished.add(task.id)
          freed = true
          if (this.ctx.draining) step.handback(task)
          else step.updates.push({ id: task.id, to: 'buffered' })
          break
        case 'log': {
          const log: TaskLog = { taskId: task.id, attempt: task.attempt, level: item.level, message: item.message, at: new Date(item.at).toISOString() }
          if (item.data !== undefined) log.data = item.data
          if (item.stream !== undefined) log.stream = item.stream
          logs.push(log)
          if (step.listening) {
            const l: NonNullable<TaskEvent['log']> = { level: item.level, message: item.message }
            if (item.data !== undefined) l.data = item.data
            if (item.stream !== undefined) l.stream = item.stream
            step.event('log', task, { workerId, log: l })
          }
          break
        }
        case 'progress':
          step.event('progress', task, { workerId, progress: item.value })
          break
      }
    }

    this.commit(step)
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
    const step = new Step(this.ctx.events.listening)
    for (const { id, started, error } of tasks) {
      const task = this.ctx.local.taskGet({ id })
      if (!task || task.state === 'done' || task.pid !== pid) continue
      let ran = started || task.state === 'started'
      if (!ran && (reason === 'crashed' || reason === 'timeout')) {
        // The host sends 'started' before it runs user code, so a task that kills its process at
        // once is normally known to have started. A backstop for a report lost on the way (the
        // pipe was full when the process died): the second such loss counts as a failed attempt,
        // so no task is re-dispatched forever without using one.
        task.unstartedLosses = (task.unstartedLosses ?? 0) + 1
        if (task.unstartedLosses >= UNSTARTED_LOSSES_AS_ATTEMPT) ran = true
      }
      if (reason === 'shutdown' || (this.ctx.draining && !ran)) {
        step.handback(task)
      } else if (ran) {
        this.count(task.type).failed++
        step.fail(task, this.failure(task, error, false, { pid, startedAt: task.startedAt }), { pid })
      } else {
        step.updates.push({ id, to: 'buffered' })
      }
    }
    this.commit(step)
    this.workers.dispatch(entry.type)
  }

  /** Hands tasks back to the global queue without using their attempt (buffered, or unstarted). */
  handbackMany(tasks: readonly LocalTask[]): void {
    const step = new Step(this.ctx.events.listening)
    for (const task of tasks) if (task.state !== 'done') step.handback(task)
    this.commit(step)
  }

  /** Fails tasks with the given outcomes (reconcile: they were running when the drone died). */
  failMany(failures: ReadonlyArray<{ task: LocalTask; completion: Completion }>): void {
    const step = new Step(this.ctx.events.listening)
    for (const f of failures) step.fail(f.task, f.completion, {})
    this.commit(step)
  }

  /** One local-queue transaction, then the immediate events, then the completions (their events on acknowledgement). */
  private commit(step: Step): void {
    if (step.updates.length > 0) this.ctx.local.taskUpdateMany({ updates: step.updates })
    for (const e of step.events) this.ctx.events.task(e.kind, e.task, e.extra, e.at)
    this.completer.add(step.completions, step.announce)
  }

  private count(type: string): { succeeded: number; failed: number } {
    let c = this.counts.get(type)
    if (!c) this.counts.set(type, (c = { succeeded: 0, failed: 0 }))
    return c
  }

  /** Postbacks: validated one by one (a bad one answers its own error), inserted in batches. */
  private async postback(entry: PoolEntry, workerId: string, pid: number, items: EnqueueItem[]): Promise<void> {
    const replies: Array<{ reqId: number; id?: string; error?: string }> = []
    const rows: TaskInsert[] = []
    const rowReq: number[] = []
    for (const it of items) {
      try {
        const row = validateNewTask({ type: it.type, payload: it.payload, options: { ...it.options, parentId: it.parentId } }, this.ctx.queue.limits)
        if (it.traceparent) row.traceparent = it.traceparent
        rows.push(row)
        rowReq.push(it.reqId)
      } catch (err) {
        replies.push({ reqId: it.reqId, error: errorMessage(err) })
      }
    }
    for (let i = 0; i < rows.length; i += POSTBACK_BATCH) {
      const chunk = rows.slice(i, i + POSTBACK_BATCH)
      try {
        const ids = await this.ctx.queue.insertValidated(chunk)
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

/**
 * What one batch (of worker items, a lost process, a handback) changes: local updates applied in
 * one transaction, events emitted at once, and outcome events ('succeeded', 'failed', 'retried',
 * 'handed-back') announced only once the global queue acknowledged the completion, so a refused
 * one shows as 'lease-lost' alone. Events are built only when someone listens.
 */
class Step {
  readonly updates: LocalUpdate[] = []
  readonly completions: Completion[] = []
  readonly events: Pending[] = []
  readonly announce = new Map<Completion, Pending>()

  constructor(readonly listening: boolean) {}

  event(kind: TaskEventKind, task: LocalTask, extra?: EventExtra, at?: number): void {
    if (!this.listening) return
    const e: Pending = { kind, task, extra }
    if (at !== undefined) e.at = at
    this.events.push(e)
  }

  finish(task: LocalTask, completion: Completion, kind: TaskEventKind, extra?: EventExtra): void {
    this.updates.push({ id: task.id, to: 'done', completion })
    this.completions.push(completion)
    if (this.listening) this.announce.set(completion, { kind, task, extra })
  }

  fail(task: LocalTask, completion: Completion, extra: EventExtra): void {
    const outcome = completion.outcome
    if (!this.listening || outcome.kind !== 'failed') return this.finish(task, completion, 'failed', extra)
    const e: EventExtra = { ...extra, error: outcome.error }
    if (outcome.retryDelayMs === null) return this.finish(task, completion, 'failed', e)
    e.retryInMs = outcome.retryDelayMs
    this.finish(task, completion, 'retried', e)
  }

  handback(task: LocalTask): void {
    this.finish(task, { id: task.id, leaseSeq: task.leaseSeq, outcome: { kind: 'handback' } }, 'handed-back')
  }
}
