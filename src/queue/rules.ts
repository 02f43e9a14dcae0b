import { InputError } from '../core/errors.ts'
import { TASK_STATES, TRANSITIONS, type TaskState } from '../core/task.ts'

/**
 * Policy every driver shares, above the SQL: which manual actions a task's state allows (derived from
 * TRANSITIONS in src/core/task.ts, the one table of the task state machine) and the words a refusal
 * uses, so the SQLite and PostgreSQL drivers (and a plug-in built on these) answer alike. The
 * conformance suite checks every driver against the same table (test/queue/conformance/lifecycle.ts). The maintenance policy
 * (loops, bounds, timings, the lease-expired message) is its sibling, src/queue/maintenance.ts.
 */

export type TaskAction = 'cancel' | 'retry' | 'delete'

/** The states each manual action accepts: cancel and retry as TRANSITIONS says; delete anything not running (cancel first). */
export const ACTION_FROM: Readonly<Record<TaskAction, readonly TaskState[]>> = {
  cancel: TRANSITIONS.cancel!.from,
  retry: TRANSITIONS.manualRetry!.from,
  delete: TASK_STATES.filter((s) => s !== 'running'),
}

export function actionAllowed(action: TaskAction, state: string): boolean {
  return (ACTION_FROM[action] as readonly string[]).includes(state)
}

/** The refusal of `action` on a task in `state` (an InputError: exit status 2 in the CLI). */
export function actionRefused(action: TaskAction, id: string, state: string): InputError {
  if (action === 'delete') return new InputError(`task ${id} is ${state}: cancel it before deleting it`)
  const verb = action === 'cancel' ? 'cancelled' : 'retried'
  return new InputError(`task ${id} is ${state}: only ${ACTION_FROM[action].join(' or ')} tasks can be ${verb}`)
}

/** Throws actionRefused unless the action is allowed from `state`. */
export function assertActionAllowed(action: TaskAction, id: string, state: string): void {
  if (!actionAllowed(action, state)) throw actionRefused(action, id, state)
}

/** A manual retry refused because another live task holds the key (the unique index said so). */
export function retryKeyConflict(id: string, cause: unknown): InputError {
  return new InputError(`task ${id} cannot be retried: another queued or running task has the same key`, { cause })
}
