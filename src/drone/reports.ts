import { errorMessage } from '../core/errors.ts'
import type { TaskEvent } from '../core/events.ts'
import type { TaskInsert } from '../core/task.ts'
import type { Limits } from '../core/validate.ts'
import { validateNewTask } from '../core/validate.ts'
import type { TaskLog } from '../queue/driver.ts'
import type { LostReason, LostTask } from '../workers/pool.ts'
import type { WorkerItem } from '../workers/protocol.ts'
import type { EventSink } from './event-sink.ts'
import { allowed, UNSTARTED_LOSSES_AS_ATTEMPT, type Ledger } from './ledger.ts'
import type { PoolEntry } from './worker-set.ts'

type EnqueueItem = Extract<WorkerItem, { k: 'enqueue' }>

/** Rows per insert call for postbacks (one batch of worker items may carry thousands). */
const POSTBACK_BATCH = 1000

export interface TaskReportsDeps {
  ledger: Ledger
  events: EventSink
  /** Log lines to store in the global queue (before the outcomes they lead to: the completer). */
  addLogs: (logs: readonly TaskLog[]) => void
  /** Inserts postbacks into the global queue (Queue.insertValidated: enqueue listeners such as metrics hear of them). */
  insert: (tasks: TaskInsert[]) => Promise<string[]>
  limits: Limits
  /** True once stop() began: released and lost tasks go back to the global queue, not the buffer. */
  draining: () => boolean
  onError: (err: unknown, where: string) => void
}

/**
 * Turns what worker processes report (items, lost processes) into ledger moves, log lines, events
 * and postbacks. Whether a report is stale, and whether a move is legal, the ledger decides.
 */
export class TaskReports {
  constructor(private readonly deps: TaskReportsDeps) {}

  onItems(entry: PoolEntry, workerId: string, pid: number, items: readonly WorkerItem[]): void {
    const { ledger, events } = this.deps
    const listening = events.listening
    const logs: TaskLog[] = []
    const postbacks: EnqueueItem[] = []
    // One object for the whole batch: events copy it (EventSink), the ledger never keeps it.
    const who = { workerId, pid }
    for (const item of items) {
      if (item.k === 'enqueue') {
        postbacks.push(item)
        continue
      }
      const task = ledger.ofRun(item.id, workerId, pid)
      if (!task) continue
      switch (item.k) {
        case 'started':
          // `at`: when the worker started it (before user code ran), not when the drone heard.
          ledger.start(task, item.at, who)
          break
        case 'succeeded':
          ledger.succeed(task, item.resultJson, item.at, who, item.runMs)
          break
        case 'failed':
          // Aborted because this drone dropped the task: no outcome of ours to send.
          if (item.aborted === 'cancelled' || item.aborted === 'lease-lost') break
          // Our doing (a stop's or a restart's grace ran out): it runs again, without using an attempt.
          if (item.aborted === 'shutdown') ledger.handback(task)
          else ledger.fail(task, item.error, item.permanent, { workerId, pid, at: item.at, ...(item.runMs !== undefined ? { runMs: item.runMs } : {}) })
          break
        case 'released':
          if (!allowed('release', task.state)) break
          if (this.deps.draining()) ledger.handback(task)
          else ledger.release(task)
          break
        case 'log': {
          const log: TaskLog = { taskId: task.id, attempt: task.attempt, level: item.level, message: item.message, at: new Date(item.at).toISOString() }
          if (item.data !== undefined) log.data = item.data
          if (item.stream !== undefined) log.stream = item.stream
          logs.push(log)
          if (listening) {
            const l: NonNullable<TaskEvent['log']> = { level: item.level, message: item.message }
            if (item.data !== undefined) l.data = item.data
            if (item.stream !== undefined) l.stream = item.stream
            events.task('log', task, { workerId, log: l })
          }
          break
        }
        case 'progress':
          if (listening) events.task('progress', task, { workerId, progress: item.value })
          break
      }
    }
    this.deps.addLogs(logs)
    if (postbacks.length > 0) void this.postback(entry, workerId, pid, postbacks)
  }

  /**
   * A worker process died, hung past a timeout, or was recycled with tasks in hand: started tasks fail
   * their attempt (retry rules apply), unstarted ones are buffered again and dispatched elsewhere.
   * A process stopped by the drain (reason 'shutdown') hands its tasks back, started or not.
   */
  onLost(pid: number, tasks: readonly LostTask[], reason: LostReason): void {
    const { ledger } = this.deps
    for (const { id, started, error } of tasks) {
      const task = ledger.ofProcess(id, pid)
      if (!task) continue
      let ran = started || task.state === 'started'
      // A backstop for a 'started' report lost on the way (the pipe was full when the process died):
      // the second such loss counts as a failed attempt, so no task is re-dispatched forever.
      if (!ran && (reason === 'crashed' || reason === 'timeout')) ran = ledger.unstartedLoss(task) >= UNSTARTED_LOSSES_AS_ATTEMPT
      if (reason === 'shutdown' || (this.deps.draining() && !ran)) ledger.handback(task)
      else if (ran) ledger.fail(task, error, false, { pid }, 'lose')
      else ledger.release(task)
    }
  }

  /** Postbacks: validated one by one (a bad one answers its own error), inserted in batches. */
  private async postback(entry: PoolEntry, workerId: string, pid: number, items: EnqueueItem[]): Promise<void> {
    const replies: Array<{ reqId: number; id?: string; error?: string }> = []
    const rows: TaskInsert[] = []
    const rowReq: number[] = []
    for (const it of items) {
      try {
        const row = validateNewTask({ type: it.type, payload: it.payload, options: { ...it.options, parentId: it.parentId } }, this.deps.limits)
        // The postback's enqueue span (a child of the running task's run span): one trace across generations.
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
        const ids = await this.deps.insert(chunk)
        ids.forEach((id, j) => replies.push({ reqId: rowReq[i + j]!, id }))
      } catch (err) {
        for (let j = 0; j < chunk.length; j++) replies.push({ reqId: rowReq[i + j]!, error: errorMessage(err) })
      }
    }
    try {
      entry.pool.replyEnqueue(workerId, replies, pid)
    } catch (err) {
      // The process is gone; its task failed or was handed back already.
      this.deps.onError(err, 'postback reply')
    }
  }
}
