import type { Completion } from '../../core/task.ts'
import type { TaskAttempt } from '../driver.ts'
import { leaseExpiredMessage } from '../maintenance.ts'
import type { HeldRow } from './rows.ts'
import type { Statements } from './statements.ts'

/**
 * The transitions of claimed tasks that run in batches (TRANSITIONS in src/core/task.ts: succeed,
 * retry, fail, handback, leaseExpired, leaseExpiredExhausted). Called inside the driver's write
 * transaction; each records one task_attempts row per attempt that ended.
 */
export function applyCompletions(s: Statements, completions: Completion[], now: number): { refused: string[]; requeuedTypes: Set<string> } {
  const refused: string[] = []
  const requeuedTypes = new Set<string>()
  for (const c of completions) {
    const o = c.outcome
    const workerPid = c.workerPid ?? null
    let row: HeldRow | undefined
    let outcome: TaskAttempt['outcome']
    let error: string | null = null
    if (o.kind === 'succeeded') {
      row = s.succeed.get(o.resultJson, now, workerPid, c.id, c.leaseSeq)
      outcome = 'succeeded'
    } else if (o.kind === 'failed' && o.retryDelayMs === null) {
      error = JSON.stringify(o.error)
      row = s.failFenced.get(error, now, workerPid, c.id, c.leaseSeq)
      outcome = 'failed'
    } else {
      // Requeues clear the drone and start time, so read them (fenced) before the update.
      row = s.held.get(c.id, c.leaseSeq)
      if (row && o.kind === 'handback') {
        s.handback.run({ id: c.id })
        outcome = 'handed-back'
        requeuedTypes.add(row.type)
      } else if (row && o.kind === 'failed') {
        error = JSON.stringify(o.error)
        // Never requeue past maxAttempts, whatever the caller asked: that would retry forever.
        if (row.attempts < row.max_attempts) {
          s.requeue.run({ id: c.id, runAt: now + Math.max(0, o.retryDelayMs ?? 0), error })
          outcome = 'retried'
          requeuedTypes.add(row.type)
        } else {
          s.fail.run({ id: c.id, error, now, workerPid })
          outcome = 'failed'
        }
      } else outcome = 'failed'
    }
    if (!row) {
      refused.push(c.id)
      continue
    }
    s.insertAttempt.run(c.id, row.lease_seq, row.attempts, row.drone, workerPid, c.startedAt ? c.startedAt.getTime() : row.started_at, now, outcome, error)
  }
  return { refused, requeuedTypes }
}

/** Running tasks whose lease expired before `cutoff` go back to the queue, or fail when out of attempts. */
export function rescueExpired(
  s: Statements,
  params: { cutoff: number; limit: number },
  now: number,
): { requeued: string[]; failed: string[]; types: Set<string> } {
  const requeued: string[] = []
  const failed: string[] = []
  const types = new Set<string>()
  for (const row of s.rescuable.all(params)) {
    const error = JSON.stringify({ message: leaseExpiredMessage(row.drone, row.attempts) })
    s.insertAttempt.run(row.id, row.lease_seq, row.attempts, row.drone, null, row.started_at, now, 'lease-expired', error)
    if (row.attempts >= row.max_attempts) {
      s.fail.run({ id: row.id, error, now, workerPid: null })
      failed.push(row.id)
    } else {
      s.requeue.run({ id: row.id, runAt: now, error })
      requeued.push(row.id)
      types.add(row.type)
    }
  }
  return { requeued, failed, types }
}
