import { z } from 'zod'
import { JSON_MAX_DEPTH, jsonDeeperThan } from './json-depth.ts'

/**
 * One definition of a worker definition's shape, for the config file (src/core/config.ts) and the
 * console's form (src/api/contract.ts extends it): the limits cannot disagree again (they were 256
 * and 64 processes). A leaf module (zod only), so the preload's bundle stays small.
 */

/** setTimeout's largest delay: a bigger one fires after 1 ms (Node warns and clamps), so every ms setting stops here. */
export const MAX_TIMER_MS = 2_147_483_647
export const positiveInt = z.number().int().positive()
export const positiveMs = positiveInt.max(MAX_TIMER_MS)
export const nonnegativeMs = z.number().int().nonnegative().max(MAX_TIMER_MS)

/** Most worker processes one definition may ask for. */
export const MAX_PROCESSES = 256
/** Most tasks one worker process may run at once. */
export const MAX_CONCURRENCY = 10_000

export const workerDefinitionSchema = z.strictObject({
  module: z.string().min(1),
  // bounded depth: a config nested beyond any real one is an input error, not a stack overflow later
  config: z
    .unknown()
    .refine((v) => !jsonDeeperThan(v), `nested deeper than ${JSON_MAX_DEPTH} levels`)
    .optional(),
  processes: positiveInt.max(MAX_PROCESSES).optional(),
  concurrency: positiveInt.max(MAX_CONCURRENCY).optional(),
  taskTimeoutMs: positiveMs.optional(),
  /** Recycle a worker process after it ran this many tasks (memory hygiene). */
  maxTasksPerProcess: positiveInt.optional(),
  /** Recycle a worker process when its RSS is above this many MB. */
  maxRssMb: positiveInt.optional(),
})
