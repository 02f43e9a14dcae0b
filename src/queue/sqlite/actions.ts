/**
 * The manual actions on one task (`swarmage retry|cancel|delete ID`, the console, the library), under the
 * rules derived from TRANSITIONS (src/queue/rules.ts). Synchronous: the driver runs each inside its
 * write transaction, so the state read and the change are one step.
 */
import type { Task } from '../../core/task.ts'
import type { QueueSignal } from '../driver.ts'
import { assertActionAllowed, retryKeyConflict } from '../rules.ts'
import { toTask, type HeldRow } from './rows.ts'
import type { Statements } from './statements.ts'

type Signal = (signal: QueueSignal, now: number) => void

export function cancelTask(s: Statements, id: string, signal: Signal): Task | null {
  const now = Date.now()
  const row = s.stateOf.get(id)
  if (!row) return null
  assertActionAllowed('cancel', id, row.state)
  s.cancel.run({ id, now })
  if (row.state === 'running') {
    s.insertAttempt.run(id, row.lease_seq, row.attempts, row.drone, null, row.started_at, now, 'cancelled', null)
  }
  signal({ kind: 'cancel', ids: [id] }, now)
  return toTask(s.getTask.get(id)!)
}

export function retryTask(s: Statements, id: string, signal: Signal): Task | null {
  const now = Date.now()
  const row: HeldRow | undefined = s.stateOf.get(id)
  if (!row) return null
  assertActionAllowed('retry', id, row.state)
  try {
    s.retry.run({ id, now })
  } catch (err) {
    if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw retryKeyConflict(id, err)
    throw err
  }
  signal({ kind: 'tasks', types: [row.type] }, now)
  return toTask(s.getTask.get(id)!)
}

export function deleteTask(s: Statements, id: string): boolean {
  const row = s.stateOf.get(id)
  if (!row) return false
  assertActionAllowed('delete', id, row.state)
  s.deleteLogs.run(id)
  s.deleteAttempts.run(id)
  s.deleteTask.run(id)
  return true
}
