import { z } from 'zod'
import { InputError } from './errors.ts'
import { nonnegativeMs, positiveInt, positiveMs, workerDefinitionSchema } from './worker-definition.ts'
import { TASK_TYPE_RE } from './validate.ts'
import { scheduleConfigSchema } from '../schedules/config.ts'
import { typeSettingsSchema } from './flow.ts'

/** Drone defaults, declared once (CONTRACT.md). Each is documented in README#configuration. */
export const DRONE_DEFAULTS = {
  /** Tasks buffered per worker process: the original's 15. Capacity per type = bufferPerWorker × processes, at least 2 × concurrency × processes (src/drone/capacity.ts). */
  bufferPerWorker: 15,
  /** Lease length on the database clock; extended every leaseMs/3 while the task is in hand. */
  leaseMs: 30_000,
  /** A task running longer is aborted, then its process killed and replaced. */
  taskTimeoutMs: 60_000,
  retryBaseMs: 1_000,
  retryMaxMs: 3_600_000,
  /** On stop, running tasks get this long to finish before they are handed back. */
  graceMs: 30_000,
  /** The loop's timer (src/drone/loop.ts): the drone also claims on every wake-up and freed capacity. */
  pollMs: 1_000,
} as const

export { MAX_TIMER_MS, workerDefinitionSchema } from './worker-definition.ts'

export const droneOptionsSchema = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  bufferPerWorker: positiveInt.max(100_000).optional(),
  leaseMs: positiveMs.min(1_000).optional(),
  taskTimeoutMs: positiveMs.optional(),
  retryBaseMs: nonnegativeMs.optional(),
  retryMaxMs: nonnegativeMs.optional(),
  graceMs: nonnegativeMs.optional(),
  pollMs: positiveMs.optional(),
  /** Path of the local queue database. Default: .swarmage/local/<name>.db beside the config. */
  localQueuePath: z.string().min(1).optional(),
})

const queueAddressSchema = z.union([
  z.string().min(1),
  z.strictObject({ module: z.string().min(1), config: z.record(z.string(), z.unknown()).optional() }),
])

export const configSchema = z.strictObject({
  queue: queueAddressSchema.optional(),
  workers: z.record(
    z.string().regex(TASK_TYPE_RE, 'a task type: 1–100 characters of A-Z a-z 0-9 _ . : / -'),
    z.union([workerDefinitionSchema, z.array(workerDefinitionSchema).min(1)]),
  ),
  drone: droneOptionsSchema.optional(),
  /** Largest serialized payload, bytes. Default 1 MiB. */
  maxPayloadBytes: positiveInt.optional(),
  /** Recurring tasks by schedule name (src/schedules), applied by a drone on start. */
  schedules: scheduleConfigSchema.optional(),
  /** Flow control by task type (core/flow.ts), stored in the global queue by a drone on start. */
  types: z.record(z.string().regex(TASK_TYPE_RE, 'a task type: 1–100 characters of A-Z a-z 0-9 _ . : / -'), typeSettingsSchema).optional(),
})

export type WorkerDefinition = z.infer<typeof workerDefinitionSchema>
export type DroneOptions = z.infer<typeof droneOptionsSchema>
export type SwarmageConfig = z.infer<typeof configSchema>

/** Validates a config object; the error names the key path and what was expected. */
export function validateConfig(input: unknown, source = 'config'): SwarmageConfig {
  const parsed = configSchema.safeParse(input)
  if (parsed.success) return parsed.data
  throw new InputError(`${source}: ${describeIssue(parsed.error.issues[0]!)}`)
}

export function validateDroneOptions(input: unknown, source = 'drone options'): DroneOptions {
  const parsed = droneOptionsSchema.safeParse(input ?? {})
  if (parsed.success) return parsed.data
  throw new InputError(`${source}: ${describeIssue(parsed.error.issues[0]!)}`)
}

type Issue = z.core.$ZodIssue

/**
 * "workers.resize.processes: expected number, received string". A worker definition is a union
 * (object | array), where zod reports only "Invalid input" at `workers.resize`; we descend into the
 * branch that got furthest (not a mismatch of the value's own kind) so the path names the real key.
 */
export function describeIssue(issue: Issue, prefix: PropertyKey[] = []): string {
  const path = [...prefix, ...issue.path]
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deeper = issue.errors.map((branch) => branch[0]).find((i) => i && (i.path.length > 0 || i.code !== 'invalid_type'))
    if (deeper) return describeIssue(deeper, path)
    const kinds = issue.errors.map((b) => (b[0]?.code === 'invalid_type' ? b[0].expected : '?')).join(' or ')
    const got = /received (\w+)/.exec(issue.errors[0]?.[0]?.message ?? '')?.[1] ?? 'something else'
    return `${showPath(path)}: expected ${kinds}, received ${got}`
  }
  if (issue.code === 'invalid_key' && issue.issues[0]) return `${showPath(path)}: invalid key: ${issue.issues[0].message}`
  const message = issue.message
    .replace(/^Invalid input: /, '')
    .replace(/expected record\b/, 'expected an object')
    .replace(/, received undefined$/, ', but it is missing')
  return `${showPath(path)}: ${message}`
}

function showPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(root)'
  return path.map((k) => (typeof k === 'string' && !/^[A-Za-z_$][\w$]*$/.test(k) ? JSON.stringify(k) : String(k))).join('.')
}

/** Identity helpers for typed config files (CONTRACT.md#the-library). */
export function defineConfig<T extends SwarmageConfig>(config: T): T {
  return config
}
