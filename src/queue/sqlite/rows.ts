import type { TaskState } from '../../core/task.ts'
import type { AttemptRowOf, DroneRowOf, LogRowOf, TaskRowOf } from '../rows.ts'
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

export interface ClaimRow {
  id: string
  type: string
  payload: string
  attempts: number
  max_attempts: number
  parent_id: string | null
  lease_seq: number
  priority: number
  run_at: number
  created_at: number
  traceparent: string | null
}

export const TASK_COLUMNS =
  'id, type, payload, state, priority, run_at, attempts, max_attempts, key, parent_id, grp, result, error, drone, created_at, started_at, finished_at'

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

export const { toTask, toLog, toAttempt, toDrone } = rowMappers<number, string | null>({
  time: iso,
  json: (text) => (text === null ? null : JSON.parse(text)),
})
