import { z } from 'zod'
import { InputError } from './errors.ts'

/**
 * Flow control per task type (CONTRACT.md "Flow control"): the settings as users give them and as
 * `swarmage limits --json` shows them. null = not set. Stored in the global queue's type_settings
 * table and enforced by the drivers' claim (docs/architecture.md#flow-control).
 */
export interface TypeSettings {
  paused: boolean
  maxRunning: number | null
  /** "N/INTERVAL", e.g. "100/1s": at most N starts in any window of INTERVAL (sliding). */
  rate: string | null
  groupMaxRunning: number | null
  groupRate: string | null
}

export type TypeSettingsPatch = Partial<TypeSettings>

export const EMPTY_TYPE_SETTINGS: TypeSettings = { paused: false, maxRunning: null, rate: null, groupMaxRunning: null, groupRate: null }

/** A rate parsed: n starts per windowMs. */
export interface Rate {
  n: number
  windowMs: number
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const RATE_RE = /^(\d+)\/(\d*)(ms|s|m|h|d)$/
/** Longest window a rate may have: the table of recent starts keeps one window of rows. */
const MAX_WINDOW_MS = 86_400_000

export const GROUP_MAX = 200

/** "10/1m" → { n: 10, windowMs: 60000 }; "5/s" means "5/1s". Throws InputError naming the value. */
export function parseRate(text: string, what = 'rate'): Rate {
  const m = typeof text === 'string' ? RATE_RE.exec(text.trim()) : null
  const n = m ? Number(m[1]) : NaN
  const windowMs = m ? (m[2] === '' ? 1 : Number(m[2])) * UNIT_MS[m[3]!]! : NaN
  if (!m || !Number.isSafeInteger(n) || n < 1 || n > 1_000_000 || !(windowMs >= 1) || windowMs > MAX_WINDOW_MS) {
    throw new InputError(
      `${what} ${JSON.stringify(text)} is not valid: expected N/INTERVAL with N from 1 to 1000000 and an interval of up to 1d, e.g. "100/1s", "10/1m"`,
    )
  }
  return { n, windowMs }
}

const limitInt = (what: string) =>
  z
    .number({ error: () => `${what} must be an integer from 1 to 1000000` })
    .refine((v) => Number.isInteger(v) && v >= 1 && v <= 1_000_000, { error: (i) => `${what} ${JSON.stringify(i.input)} must be an integer from 1 to 1000000` })
const rateText = (what: string) =>
  z.string({ error: () => `${what} must be a string N/INTERVAL, e.g. "100/1s"` }).superRefine((v, ctx) => {
    try {
      parseRate(v, what)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
    }
  })

/** The settings object of the library, the config file's `types.TYPE` and the console. */
export const typeSettingsSchema = z.strictObject({
  paused: z.boolean({ error: () => 'paused must be true or false' }).optional(),
  maxRunning: limitInt('maxRunning').nullable().optional(),
  rate: rateText('rate').nullable().optional(),
  groupMaxRunning: limitInt('groupMaxRunning').nullable().optional(),
  groupRate: rateText('groupRate').nullable().optional(),
})

/** Validates a patch; the error is one line naming the value. */
export function validateTypeSettings(input: unknown, type: string): TypeSettingsPatch {
  const parsed = typeSettingsSchema.safeParse(input ?? {})
  if (parsed.success) return parsed.data as TypeSettingsPatch
  const issue = parsed.error.issues[0]!
  const key = issue.path.length > 0 ? `${String(issue.path[0])}: ` : ''
  const message = issue.message.startsWith(String(issue.path[0] ?? '\0')) ? issue.message : `${key}${issue.message}`
  throw new InputError(`type ${JSON.stringify(type)} settings: ${message}`)
}

/** A task's `group` option: 1–200 characters, no NUL. */
export function validateGroup(group: unknown): string | null {
  if (group === undefined || group === null) return null
  if (typeof group !== 'string' || group.length === 0 || group.length > GROUP_MAX || group.includes('\0')) {
    const shown = typeof group === 'string' ? `of ${group.length} characters` : JSON.stringify(group)
    throw new InputError(`group ${shown} is not valid: expected a string of 1–${GROUP_MAX} characters without NUL`)
  }
  return group
}

/** Groups a TypeFlowUse lists at most (the busiest first): a view of a thousand tenants shows counts, not rows. */
export const GROUP_USE_MAX = 1000

/**
 * What a type's limits use right now (the console's Types view): counted on the database clock by the
 * same rules as the claim, read-only (nothing is pruned or locked).
 */
export interface TypeFlowUse {
  /** Tasks of the type holding a lease (claimed or started: what maxRunning counts). */
  running: number
  /** Queued tasks whose runAt has come. */
  runnable: number
  /** Type-wide starts in the `rate` window (0 without a rate). */
  starts: number
  /** Groups with a running task or a start in the groupRate window, and their queued runnable tasks. */
  groups: Array<{ group: string; running: number; starts: number; queued: number }>
}

/**
 * The first pass of a group-limited claim: candidates are taken from the first rows of the type in claim
 * order (an index walk), each while its group has room (`room[grp]`, else `perGroup`; ungrouped rows always).
 * Walking in claim order with per-group counters picks exactly what the window over every queued task
 * picks (a row's rank in its group counts only rows ahead of it, all of them in the prefix), so when it
 * fills `cap`, or the prefix held every queued task (`complete`), it is the answer; otherwise (full groups
 * crowded the prefix) it returns null and the caller runs the window. The window sorts the whole backlog
 * of the type: +1,070 µs of claim per task at 20,000 queued (docs/performance.md#flow-control).
 */
export function pickInGroups<R extends { grp: string | null }>(rows: R[], room: Record<string, number>, perGroup: number, cap: number, complete: boolean): R[] | null {
  const picked: R[] = []
  const taken = new Map<string, number>()
  for (const r of rows) {
    if (r.grp !== null) {
      const n = taken.get(r.grp) ?? 0
      if (n >= (room[r.grp] ?? perGroup)) continue
      taken.set(r.grp, n + 1)
    }
    picked.push(r)
    if (picked.length >= cap) return picked
  }
  return complete ? picked : null
}

/** Rows the group pass reads in claim order before it falls back to the window: a few claims' worth. */
export function groupPassRows(cap: number): number {
  return Math.max(cap * 4, 64)
}

/** Whether these settings hold anything back (a row that holds nothing is deleted instead). */
export function isUnlimited(s: TypeSettings): boolean {
  return !s.paused && s.maxRunning === null && s.rate === null && s.groupMaxRunning === null && s.groupRate === null
}
