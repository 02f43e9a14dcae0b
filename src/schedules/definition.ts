import { Cron } from 'croner'
import { InputError } from '../core/errors.ts'
import { SCHEDULE_NAME_RE } from './key.ts'
import { assertTaskType, DEFAULT_MAX_ATTEMPTS, serializePayload, type Limits } from '../core/validate.ts'

/**
 * Schedules (CONTRACT.md#schedules-recurring-tasks): a named cron expression in an IANA time zone that
 * enqueues one task of `type` per tick. This module validates definitions and computes ticks; it
 * knows nothing of drivers or drones, so the config loader, the queue and the CLI share it.
 *
 * Cron parsing and next-run computation are croner's (a well-kept library with no dependencies that
 * computes in any IANA time zone through Intl and handles DST gaps and repeats: a 02:30 tick on a
 * spring-forward day runs once at 03:00, on a fall-back day once at the first 02:30).
 */

export const OVERLAP_POLICIES = ['allow', 'skip'] as const
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number]
/** The longest catch-up window accepted: a year (ticks older than that are never backfilled). */
export const MAX_CATCH_UP_MS = 366 * 86400_000

/** What a user gives (config file, CLI, library, console). */
export interface ScheduleDefinition {
  cron: string
  type: string
  payload?: unknown
  /** IANA time zone the cron expression is read in. Default 'UTC'. */
  timezone?: string
  priority?: number
  maxAttempts?: number
  /** How far back (ms) missed ticks are still enqueued. Default 0: none. */
  catchUp?: number
  /** 'skip': no task while the previous tick's task is not finished. Default 'allow'. */
  overlap?: OverlapPolicy
}

/** A validated definition, as stored. */
export interface ScheduleSpec {
  name: string
  cron: string
  timezone: string
  type: string
  payloadJson: string
  priority: number
  maxAttempts: number
  catchUpMs: number
  overlap: OverlapPolicy
}

/** A schedule as the library, `swarmage schedules --json` and the console show it. */
export interface Schedule {
  name: string
  cron: string
  timezone: string
  type: string
  payload: unknown
  priority: number
  maxAttempts: number
  catchUp: number
  overlap: OverlapPolicy
  paused: boolean
  /** The next tick the scheduler will act on (ISO), or the next cron time when no drone anchored it yet. */
  nextRun: string | null
  /** The tick (or "run now" time) of the last task this schedule enqueued. */
  lastRun: string | null
  lastTaskId: string | null
  createdAt: string
  updatedAt: string
}

export function assertScheduleName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SCHEDULE_NAME_RE.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name) : typeof name
    throw new InputError(`invalid schedule name ${shown}: expected 1–100 characters of A-Z a-z 0-9 _ . -`)
  }
}

/** True when Intl knows the zone (the same check croner's conversions rely on). */
export function isTimeZone(tz: string): boolean {
  if (tz.length === 0) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export function assertTimeZone(tz: unknown): asserts tz is string {
  if (typeof tz !== 'string' || !isTimeZone(tz)) {
    throw new InputError(`unknown time zone ${JSON.stringify(tz)}: expected an IANA name such as UTC or Europe/Berlin`)
  }
}

/**
 * A five-field expression (minute hour day-of-month month day-of-week), with `*`, lists, ranges and
 * steps. croner also takes a seconds field and nicknames; we keep to the contract's five fields so
 * an expression means the same in every cron a user knows.
 */
export function assertCron(cron: unknown): asserts cron is string {
  if (typeof cron !== 'string') throw new InputError(`invalid cron expression: expected a string, got ${typeof cron}`)
  const fields = cron.trim().split(/\s+/)
  if (fields.length !== 5 || cron.trim() === '') {
    throw new InputError(`invalid cron expression ${JSON.stringify(cron)}: expected five fields (minute hour day-of-month month day-of-week)`)
  }
  try {
    new Cron(cron, { paused: true })
  } catch (err) {
    const why = (err as Error).message.replace(/^CronPattern: /, '')
    throw new InputError(`invalid cron expression ${JSON.stringify(cron)}: ${why}`)
  }
}

function intIn(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`schedule ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
  return v
}

/** Validates a definition completely; the error names the value. Nothing is stored on failure. */
export function validateSchedule(name: unknown, def: ScheduleDefinition, limits: Limits): ScheduleSpec {
  assertScheduleName(name)
  if (def === null || typeof def !== 'object') throw new InputError(`schedule ${name}: expected an object with cron and type`)
  assertCron(def.cron)
  assertTaskType(def.type)
  const timezone = def.timezone ?? 'UTC'
  assertTimeZone(timezone)
  const overlap = def.overlap ?? 'allow'
  if (!OVERLAP_POLICIES.includes(overlap)) {
    throw new InputError(`schedule overlap ${JSON.stringify(overlap)} is not one of ${OVERLAP_POLICIES.join(', ')}`)
  }
  return {
    name,
    cron: def.cron.trim().replace(/\s+/g, ' '),
    timezone,
    type: def.type,
    payloadJson: serializePayload(def.payload ?? null, limits),
    priority: def.priority === undefined ? 0 : intIn('priority', def.priority, -2147483648, 2147483647),
    maxAttempts: def.maxAttempts === undefined ? DEFAULT_MAX_ATTEMPTS : intIn('maxAttempts', def.maxAttempts, 1, 1000),
    catchUpMs: def.catchUp === undefined ? 0 : intIn('catchUp', def.catchUp, 0, MAX_CATCH_UP_MS),
    overlap,
  }
}

function cronOf(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true })
}

/** The first tick strictly after `after`, or null when the expression has no more (e.g. Feb 30). */
export function nextTick(cron: string, timezone: string, after: Date): Date | null {
  return cronOf(cron, timezone).nextRun(after)
}

/** The next `n` ticks strictly after `after` (the console's "next five runs"). */
export function nextTicks(cron: string, timezone: string, after: Date, n: number): Date[] {
  return cronOf(cron, timezone).nextRuns(n, after)
}
