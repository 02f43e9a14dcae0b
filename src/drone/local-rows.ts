import type { ClaimedTask, Completion } from '../core/task.ts'

/**
 * The local queue's rows (see LocalQueue in local-queue.ts): the in-memory task, the table, and how
 * a task becomes a row and back.
 */
export type LocalTaskState = 'buffered' | 'dispatched' | 'started' | 'done'

/** A claimed task as the drone holds it: the claim's fields (one definition: ClaimedTask) and the local state. */
export interface LocalTask extends Pick<ClaimedTask, 'id' | 'type' | 'payloadJson' | 'attempt' | 'maxAttempts' | 'parentId' | 'leaseSeq'> {
  state: LocalTaskState
  workerId: string | null
  pid: number | null
  /** started: ms since epoch (drone clock) */
  startedAt: number | null
  /** done: the completion to send */
  completion: Completion | null
  /** In memory only: times a crashed process lost this task before it reported it started. */
  unstartedLosses?: number
  /** In memory only (a trace is not worth a column here): the traceparent its run continues (src/tracing). */
  traceparent?: string | null
  /** In memory only: the task's row (`n`), 0 until it is written. */
  row?: number
  /** In memory only: the state its row holds. */
  stored?: LocalTaskState
  /** In memory only: when the lease runs out unless extended (drone clock, reckoned from the request's send time). */
  leaseExpiresAt?: number
  /** In memory only: when the drone took it (performance.now()); its row is written unstarted only once this old. */
  heldSince?: number
}

export type LocalUpdate =
  | { id: string; to: 'dispatched'; workerId: string; pid: number | null }
  | { id: string; to: 'started'; at: number }
  | { id: string; to: 'done'; completion: Completion }
  | { id: string; to: 'buffered' }


export const HELD_COLUMNS = '(n, id, type, payload_json, attempt, max_attempts, parent_id, lease_seq, state, worker_id, pid, outcome_json, started_at)'
export const ROW_VALUES = 13
export const ROW_PARAMS = `(${Array<string>(ROW_VALUES).fill('?').join(', ')})`
/** Rows per multi-row INSERT (208 parameters, far below SQLite's limit of 32,766). */
export const INSERT_ROWS = 16

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS held (
  n INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  parent_id TEXT,
  lease_seq INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('buffered', 'dispatched', 'started', 'done')),
  worker_id TEXT,
  pid INTEGER,
  outcome_json TEXT,
  started_at INTEGER
)`
/** The first version's table (keyed by task id): its rows move to \`held\`, in claim order. */
export const UPGRADE_V1 = `
INSERT INTO held (id, type, payload_json, attempt, max_attempts, parent_id, lease_seq, state, worker_id, pid, outcome_json, started_at)
  SELECT id, type, payload_json, attempt, max_attempts, parent_id, lease_seq, state, worker_id, pid, outcome_json, started_at FROM task ORDER BY rowid;
DROP TABLE task`

export interface Row {
  n: number
  id: string
  type: string
  payload_json: string
  attempt: number
  max_attempts: number
  parent_id: string | null
  lease_seq: number
  state: LocalTaskState
  worker_id: string | null
  pid: number | null
  outcome_json: string | null
  started_at: number | null
}

/**
 * The prepared `DELETE … WHERE n BETWEEN ? AND ?`, typed by what is used of it: this module's types
 * reach the package's published declarations (through LocalQueue), and naming better-sqlite3's
 * Statement there made every TypeScript consumer need @types/better-sqlite3.
 */
export interface RangeDelete {
  run(from: number, to: number): unknown
}

/**
 * Deletes rows by runs of consecutive numbers: acknowledgements come in batches of tasks written
 * together, so a batch of hundreds is usually a handful of ranges. Sorts `rows` in place.
 */
export function deleteRuns(removeRange: RangeDelete, rows: number[]): void {
  if (rows.length === 0) return
  rows.sort((a, b) => a - b)
  let from = rows[0]!
  let to = from
  for (let i = 1; i < rows.length; i++) {
    const n = rows[i]!
    if (n === to + 1) {
      to = n
      continue
    }
    removeRange.run(from, to)
    from = to = n
  }
  removeRange.run(from, to)
}


/**
 * The outcome column: the completion without its id and lease sequence (the row's own columns), the
 * start as epoch ms. A success, nearly every task, is spliced into a template: JSON.stringify of the
 * whole completion (a Date's toJSON included) cost ~3.3 µs per task, the template ~0.45.
 */
export function outcomeJson(c: Completion): string {
  const startedAt = c.startedAt ? c.startedAt.getTime() : null
  const o = c.outcome
  if (o.kind === 'succeeded') {
    return `{"outcome":{"kind":"succeeded","resultJson":${JSON.stringify(o.resultJson)}},"workerPid":${c.workerPid ?? null},"startedAt":${startedAt}}`
  }
  return JSON.stringify({ outcome: o, workerPid: c.workerPid ?? null, startedAt })
}

export function fromRow(r: Row): LocalTask {
  let completion: Completion | null = null
  if (r.outcome_json !== null) {
    // Files written before the template hold the whole completion, its start as an ISO string.
    const c = JSON.parse(r.outcome_json) as Pick<Completion, 'outcome' | 'workerPid'> & { startedAt?: string | number | null }
    completion = { id: r.id, leaseSeq: r.lease_seq, outcome: c.outcome, workerPid: c.workerPid ?? null, startedAt: c.startedAt == null ? null : new Date(c.startedAt) }
  }
  return {
    row: r.n,
    stored: r.state,
    id: r.id,
    type: r.type,
    payloadJson: r.payload_json,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    parentId: r.parent_id,
    leaseSeq: r.lease_seq,
    state: r.state,
    workerId: r.worker_id,
    pid: r.pid,
    startedAt: r.started_at,
    completion,
  }
}
