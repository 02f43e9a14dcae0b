/**
 * One line of an NDJSON task file (`swarmage enqueue --file`, and the console's bulk enqueue, which
 * reads the same format in the browser): `{"type", "payload", "options"?}`, or with the options at
 * the top level. Pure (no Node APIs): the renderer bundles it.
 */
import { InputError } from './errors.ts'
import type { EnqueueOptions, NewTask } from './task.ts'

const LINE_KEYS = new Set(['type', 'payload', 'options', 'priority', 'delayMs', 'runAt', 'maxAttempts', 'key', 'group'])
const OPTION_KEYS = ['priority', 'delayMs', 'runAt', 'maxAttempts', 'key', 'group'] as const

/** The task a parsed line describes; its values are validated by validateNewTask (the queue). */
export function lineToTask(value: unknown): NewTask {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError('expected a JSON object {"type", "payload"}')
  const obj = value as Record<string, unknown>
  const unknown = Object.keys(obj).filter((k) => !LINE_KEYS.has(k))
  if (unknown.length) throw new InputError(`unknown key ${JSON.stringify(unknown[0])} (expected type, payload, options, ${OPTION_KEYS.join(', ')})`)
  if (obj.options !== undefined && (obj.options === null || typeof obj.options !== 'object' || Array.isArray(obj.options))) {
    throw new InputError('"options" must be an object')
  }
  const badOption = Object.keys(obj.options ?? {}).find((k) => !(OPTION_KEYS as readonly string[]).includes(k))
  if (badOption !== undefined) throw new InputError(`unknown option ${JSON.stringify(badOption)} (expected ${OPTION_KEYS.join(', ')})`)
  const options: EnqueueOptions = { ...(obj.options as EnqueueOptions | undefined) }
  for (const k of OPTION_KEYS) if (obj[k] !== undefined) (options as Record<string, unknown>)[k] = obj[k]
  return { type: obj.type as string, payload: obj.payload ?? null, options }
}
