import type { AttemptRowOf, ClaimRowOf, DroneRowOf, LogRowOf, TaskRowOf } from '../rows.ts'
import { rowMappers } from '../rows.ts'

/** Rows as pg returns them: timestamptz → Date, json → already parsed. */
export type TaskRow = TaskRowOf<Date, unknown>
export type LogRow = LogRowOf<Date, unknown>
export type AttemptRow = AttemptRowOf<Date, unknown>
export type DroneRow = DroneRowOf<Date, unknown>

/** A claim's run_at comes as epoch ms (sql.ts RUN_AT_MS): no Date parsed per claimed task. */
export type ClaimRow = ClaimRowOf<number>

export const { toTask, toLog, toAttempt, toDrone } = rowMappers<Date, unknown>({
  time: (d) => d.toISOString(),
  ms: (d) => d.getTime(),
  json: (v) => v,
})

/** Whole ms, as Date.getTime() of the timestamp gave (the fraction is the microseconds). */
export const { toClaimed } = rowMappers<number, unknown>({
  time: (ms) => new Date(Math.floor(ms)).toISOString(),
  ms: (ms) => Math.floor(ms),
  json: (v) => v,
})
