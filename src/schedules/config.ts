import { z } from 'zod'
import { TASK_TYPE_RE, TASK_TYPE_RULE } from '../core/task.ts'
import { InputError } from '../core/errors.ts'
import { assertCron, assertTimeZone, MAX_CATCH_UP_MS, OVERLAP_POLICIES } from './definition.ts'
import { SCHEDULE_NAME_RE } from './key.ts'

/** `assert*` as a zod refinement: the message names the value ("invalid cron expression \"61 * * * *\": …"). */
function refineWith(assert: (v: string) => void) {
  return (v: string, ctx: z.RefinementCtx) => {
    try {
      assert(v)
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      ctx.addIssue({ code: 'custom', message: err.message })
    }
  }
}

/** The config file's `schedules: { NAME: {…} }` (CONTRACT.md#schedules-recurring-tasks). */
export const scheduleConfigSchema = z.record(
  z.string().regex(SCHEDULE_NAME_RE, 'a schedule name: 1–100 characters of A-Z a-z 0-9 _ . -'),
  z.strictObject({
    cron: z.string().superRefine(refineWith(assertCron)),
    type: z.string().regex(TASK_TYPE_RE, `a task type: ${TASK_TYPE_RULE}`),
    payload: z.unknown().optional(),
    timezone: z.string().superRefine(refineWith(assertTimeZone)).optional(),
    priority: z.number().int().optional(),
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    catchUp: z.number().int().min(0).max(MAX_CATCH_UP_MS).optional(),
    overlap: z.enum(OVERLAP_POLICIES).optional(),
  }),
)
