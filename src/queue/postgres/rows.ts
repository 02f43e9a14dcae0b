import type { AttemptRowOf, DroneRowOf, LogRowOf, TaskRowOf } from '../rows.ts'
import { rowMappers } from '../rows.ts'

/** Rows as pg returns them: timestamptz → Date, json → already parsed. */
export type TaskRow = TaskRowOf<Date, unknown>
export type LogRow = LogRowOf<Date, unknown>
export type AttemptRow = AttemptRowOf<Date, unknown>
export type DroneRow = DroneRowOf<Date, unknown>

export interface ClaimRow {
  id: string
  type: string
  payload: string
  attempts: number
  max_attempts: number
  parent_id: string | null
  lease_seq: number
  run_at: Date
  traceparent: string | null
}

export const { toTask, toLog, toAttempt, toDrone } = rowMappers<Date, unknown>({
  time: (d) => d.toISOString(),
  json: (v) => v,
})
