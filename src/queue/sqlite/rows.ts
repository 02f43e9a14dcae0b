import type { TaskState } from '../../core/task.ts'
import type { AttemptRowOf, ClaimRowOf, DroneRowOf, LogRowOf, TaskRowOf } from '../rows.ts'
import { rowMappers } from '../rows.ts'

/** Rows as SQLite returns them: times in integer ms, JSON as text. */
export type TaskRow = TaskRowOf<number, string | null>
export type LogRow = LogRowOf<number, string | null>
export type AttemptRow = AttemptRowOf<number, string | null>
export type DroneRow = DroneRowOf<number, string>

/** The running task a completion, cancel or rescue acts on, read inside the write transaction. */
export interface HeldRow {
  id: string
  type: string
  state: TaskState
  attempts: number
  max_attempts: number
  drone: string | null
  started_at: number | null
  key: string | null
  lease_seq: number
}

/** A claimed row, with what claimOrder sorts by (priority, then age). */
export interface ClaimRow extends ClaimRowOf<number> {
  priority: number
  created_at: number
}

export const TASK_COLUMNS =
  'id, type, payload, state, priority, run_at, attempts, max_attempts, key, parent_id, grp, result, error, drone, created_at, started_at, finished_at'

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

export const { toClaimed, toTask, toLog, toAttempt, toDrone } = rowMappers<number, string | null>({
  time: iso,
  ms: (t) => t,
  json: (text) => (text === null ? null : JSON.parse(text)),
})
