import type { AttemptRowOf, ClaimRowOf, DroneRowOf, LogRowOf, TaskRowOf } from '../rows.ts'
import { rowMappers } from '../rows.ts'

/** Rows as pg returns them: timestamptz → Date, json → already parsed. */
export type TaskRow = TaskRowOf<Date, unknown>
export type LogRow = LogRowOf<Date, unknown>
export type AttemptRow = AttemptRowOf<Date, unknown>
export type DroneRow = DroneRowOf<Date, unknown>

export type ClaimRow = ClaimRowOf<Date>

export const { toClaimed, toTask, toLog, toAttempt, toDrone } = rowMappers<Date, unknown>({
  time: (d) => d.toISOString(),
  ms: (d) => d.getTime(),
  json: (v) => v,
})
