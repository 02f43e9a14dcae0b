import { uuidv7 } from './ids.ts'
import { InputError } from './errors.ts'
import { validateGroup } from './flow.ts'
import { TASK_TYPE_RE, TASK_TYPE_RULE, type EnqueueOptions, type NewTask, type TaskInsert } from './task.ts'

export { TASK_TYPE_RE } from './task.ts'
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024
export const DEFAULT_MAX_ATTEMPTS = 5
const KEY_MAX = 255

export interface Limits {
  maxPayloadBytes: number
}

export function assertTaskType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || !TASK_TYPE_RE.test(type)) {
    const shown = typeof type === 'string' ? JSON.stringify(type.length > 40 ? `${type.slice(0, 40)}…` : type) : typeof type
    throw new InputError(
      `invalid task type ${shown}: expected ${TASK_TYPE_RULE}`,
    )
  }
}

/** Serializes once, checks the cap; refuses what JSON cannot carry (undefined, functions, cycles, BigInt). */
export function serializePayload(payload: unknown, limits: Limits): string {
  let json: string | undefined
  try {
    json = JSON.stringify(payload === undefined ? null : payload)
  } catch (err) {
    throw new InputError(`payload is not serializable as JSON: ${(err as Error).message}`, { cause: err })
  }
  if (json === undefined) throw new InputError('payload is not serializable as JSON')
  const bytes = Buffer.byteLength(json, 'utf8')
  if (bytes > limits.maxPayloadBytes) {
    throw new InputError(`payload is ${bytes} bytes serialized, over the limit of ${limits.maxPayloadBytes} bytes`)
  }
  if (json.includes('\\u0000')) {
    // PostgreSQL jsonb cannot store NUL; refuse it everywhere so backends agree.
    throw new InputError('payload contains a NUL character (\\u0000), which the queue cannot store')
  }
  return json
}

/** Parses text as JSON for the CLI and console, with an error naming where it was. */
export function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InputError(`${what} is not valid JSON: ${(err as Error).message}`)
  }
}

function intOption(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`option ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
  return v
}

export function validateNewTask(task: NewTask, limits: Limits): TaskInsert {
  if (task === null || typeof task !== 'object') throw new InputError('a task must be an object with a type')
  assertTaskType(task.type)
  const o: EnqueueOptions = task.options ?? {}
  const priority = o.priority === undefined ? 0 : intOption('priority', o.priority, -2147483648, 2147483647)
  const maxAttempts = o.maxAttempts === undefined ? DEFAULT_MAX_ATTEMPTS : intOption('maxAttempts', o.maxAttempts, 1, 1000)
  if (o.delayMs !== undefined && o.runAt !== undefined) throw new InputError('give either delay or runAt, not both')
  const delayMs = o.delayMs === undefined ? 0 : intOption('delay', o.delayMs, 0, 10 * 365 * 86400_000)
  let runAt: Date | null = null
  if (o.runAt !== undefined) {
    runAt = o.runAt instanceof Date ? o.runAt : new Date(o.runAt)
    if (Number.isNaN(runAt.getTime())) throw new InputError(`runAt ${JSON.stringify(o.runAt)} is not an ISO-8601 date`)
  }
  let key: string | null = null
  if (o.key !== undefined && o.key !== null) {
    if (typeof o.key !== 'string' || o.key.length === 0 || o.key.length > KEY_MAX || o.key.includes('\0')) {
      throw new InputError(`key must be a string of 1–${KEY_MAX} characters without NUL`)
    }
    key = o.key
  }
  const parentId = o.parentId ?? null
  if (parentId !== null && typeof parentId !== 'string') throw new InputError('parentId must be a task id')
  return {
    id: uuidv7(),
    type: task.type,
    payloadJson: serializePayload(task.payload, limits),
    priority,
    runAt,
    delayMs,
    maxAttempts,
    key,
    parentId,
    group: validateGroup(o.group),
  }
}
