/**
 * Glossary (one name per concept; docs/architecture.md repeats it):
 * - Task: one unit of work: a `type`, a JSON `payload`, and bookkeeping.
 * - Global queue: the queue every drone shares (PostgreSQL, an SQLite file, or a plug-in module).
 * - Drone: the process that claims tasks from the global queue, buffers them in its local queue and
 *   dispatches them by type to its workers.
 * - Local queue: the drone's own SQLite database of buffered tasks.
 * - Worker definition: a user module serving one task type; it runs in `processes` worker processes.
 * - Worker process: one OS process (forked Node, or Electron utility process) running a worker module.
 * - Lease: a claimed task's right to be worked on by one drone, until `leaseExpiresAt` (database clock).
 * - Lease sequence (`leaseSeq`): counts claims of a task; every transition of a claimed task is fenced by it,
 *   so a drone that lost its lease cannot record an outcome.
 * - Postback: a task a worker enqueues while running; its `parentId` is the running task.
 */

/** CONTRACT.md: a task type is 1–100 characters of A-Z a-z 0-9 _ . : / - (the one definition; the console's forms use it too). */
export const TASK_TYPE_RE = /^[A-Za-z0-9_.:/-]{1,100}$/
export const TASK_TYPE_RULE = '1–100 characters of A-Z a-z 0-9 _ . : / -'

export const TASK_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type TaskState = (typeof TASK_STATES)[number]
export const FINAL_STATES: readonly TaskState[] = ['succeeded', 'failed', 'cancelled']

export interface TaskError {
  message: string
  stack?: string
}

/** A task, exactly as the API and every `--json` output show it (CONTRACT.md). */
export interface Task {
  id: string
  type: string
  payload: unknown
  state: TaskState
  priority: number
  runAt: string
  attempts: number
  maxAttempts: number
  key: string | null
  parentId: string | null
  /** The flow-control group (CONTRACT.md "Flow control"), or null. */
  group: string | null
  result: unknown
  error: TaskError | null
  drone: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  /** Present only on a task a schedule made: which schedule and tick (derived from its key, src/schedules/key.ts). */
  schedule?: { name: string; tick: string }
}

export interface EnqueueOptions {
  priority?: number
  /** Milliseconds from now (database clock). Mutually exclusive with runAt. */
  delayMs?: number
  runAt?: Date | string
  maxAttempts?: number
  key?: string | null
  parentId?: string | null
  /** The key group limits count by (a customer, a tenant, a host): 1–200 characters. */
  group?: string | null
}

export interface NewTask {
  type: string
  payload?: unknown
  options?: EnqueueOptions
}

/** A validated task ready for a driver to insert: payload already serialized once. */
export interface TaskInsert {
  id: string
  type: string
  payloadJson: string
  priority: number
  /** absolute time, or null for "now" on the database clock plus delayMs */
  runAt: Date | null
  delayMs: number
  maxAttempts: number
  key: string | null
  parentId: string | null
  group: string | null
  /** The W3C traceparent of the enqueuing context (src/tracing), or null/absent when untraced. */
  traceparent?: string | null
}

/** A task as handed to a drone by a claim: enough to run it, and its fence. */
export interface ClaimedTask {
  id: string
  type: string
  payloadJson: string
  /** attempt number of this run, 1-based (attempts after the claim) */
  attempt: number
  maxAttempts: number
  parentId: string | null
  leaseSeq: number
  /** When it became due (its runAt: the enqueue time unless delayed or retried), ms since epoch on the queue's clock; metrics' enqueue→start wait. Optional for plug-in drivers. */
  runAt?: number
  /** The W3C traceparent stored at enqueue (src/tracing): the claim and the run continue it. */
  traceparent?: string | null
}

/** The fence every transition of a claimed task carries. */
export interface LeaseRef {
  id: string
  leaseSeq: number
}

export type Outcome =
  | { kind: 'succeeded'; resultJson: string }
  /** retryDelayMs null: no retry (permanent, or attempts exhausted) → `failed` */
  | { kind: 'failed'; error: TaskError; retryDelayMs: number | null }
  /** Hand back to the queue without using the attempt (graceful stop, never started). */
  | { kind: 'handback' }

export interface Completion extends LeaseRef {
  outcome: Outcome
  /** pid of the worker process that ran it, for the attempt history */
  workerPid?: number | null
  startedAt?: Date | null
}

/**
 * The task state machine, in one place. Drivers implement these transitions in SQL; this table is what
 * they implement and what the docs draw (docs/architecture.md#task-state-machine). Read by the shared
 * rules (src/queue/rules.ts) and by the conformance suite, which runs every row on every driver
 * (test/queue/conformance/transitions.ts).
 */
export const TRANSITIONS: Readonly<Record<string, { from: TaskState[]; to: TaskState }>> = {
  claim: { from: ['queued'], to: 'running' },
  succeed: { from: ['running'], to: 'succeeded' },
  retry: { from: ['running'], to: 'queued' },
  fail: { from: ['running'], to: 'failed' },
  handback: { from: ['running'], to: 'queued' },
  leaseExpired: { from: ['running'], to: 'queued' },
  leaseExpiredExhausted: { from: ['running'], to: 'failed' },
  cancel: { from: ['queued', 'running'], to: 'cancelled' },
  manualRetry: { from: ['failed', 'cancelled'], to: 'queued' },
}

export function isFinal(state: TaskState): boolean {
  return FINAL_STATES.includes(state)
}
