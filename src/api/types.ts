/**
 * The console's Types view (CONTRACT.md "Flow control"): per task type its queue counts, its flow
 * settings, each limit's current use and what the limits hold back, in words an operator reads at a
 * glance ("12 tasks waiting for group slots"). Counted by the drivers with the claim's own rules.
 */
import { EMPTY_TYPE_SETTINGS, parseRate, type TypeFlowUse, type TypeSettings } from '../core/flow.ts'
import type { Queue } from '../queue/queue.ts'

export interface TypeView {
  type: string
  queued: number
  running: number
  settings: TypeSettings
  use: {
    /** Leased tasks (claimed or started): what maxRunning counts. */
    running: number
    /** Type-wide starts in the rate window, and the rate's N (null without a rate). */
    starts: number
    rateN: number | null
    /** Groups counted (running or started in the group window) and those at a group limit. */
    groups: number
    groupsAtLimit: number
    /** The busiest groups at their limit (at most 10), for the view. */
    fullGroups: Array<{ group: string; running: number; starts: number; queued: number }>
  }
  /** Runnable queued tasks held back, by reason. */
  held: { paused: number; maxRunning: number; rate: number; groupSlots: number }
  /** One line per reason something is held back, e.g. "12 tasks waiting for group slots (3 groups at their limit)". */
  notes: string[]
}

const FULL_GROUPS_SHOWN = 10

export async function listTypeViews(queue: Queue): Promise<TypeView[]> {
  const [settings, stats] = await Promise.all([queue.typeSettings(), queue.stats()])
  const types = [...new Set([...Object.keys(stats.types), ...Object.keys(settings)])].sort()
  return Promise.all(
    types.map(async (type) => {
      const s = settings[type] ?? EMPTY_TYPE_SETTINGS
      const counts = stats.types[type]
      const rate = s.rate === null ? null : parseRate(s.rate)
      const groupRate = s.groupRate === null ? null : parseRate(s.groupRate, 'groupRate')
      const grouped = s.groupMaxRunning !== null || groupRate !== null
      const measured = s === EMPTY_TYPE_SETTINGS ? null : await queue.typeUse(type, { rateMs: rate?.windowMs ?? 0, groupRateMs: groupRate?.windowMs ?? 0, groups: grouped })
      const use: TypeFlowUse = measured ?? { running: counts?.running ?? 0, runnable: counts?.queued ?? 0, starts: 0, groups: [] }
      return typeView(type, counts?.queued ?? 0, counts?.running ?? 0, s, use, rate?.n ?? null, groupRate?.n ?? null)
    }),
  )
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** The arithmetic of the view, apart from the database so it reads as the claim does. */
export function typeView(type: string, queued: number, running: number, s: TypeSettings, use: TypeFlowUse, rateN: number | null, groupRateN: number | null): TypeView {
  const held = { paused: 0, maxRunning: 0, rate: 0, groupSlots: 0 }
  const notes: string[] = []
  const full = use.groups.filter((g) => (s.groupMaxRunning !== null && g.running >= s.groupMaxRunning) || (groupRateN !== null && g.starts >= groupRateN))
  if (s.paused) {
    held.paused = use.runnable
    notes.push(`${plural(use.runnable, 'task')} waiting: the type is paused`)
  } else if (s.maxRunning !== null && use.running >= s.maxRunning) {
    held.maxRunning = use.runnable
    if (use.runnable > 0) notes.push(`${plural(use.runnable, 'task')} waiting for a running slot (running ${use.running} / max ${s.maxRunning})`)
  } else if (rateN !== null && use.starts >= rateN) {
    held.rate = use.runnable
    if (use.runnable > 0) notes.push(`${plural(use.runnable, 'task')} waiting for the rate (${use.starts} of ${rateN} starts used in ${s.rate!.split('/')[1]})`)
  } else {
    held.groupSlots = full.reduce((n, g) => n + g.queued, 0)
    if (held.groupSlots > 0) notes.push(`${plural(held.groupSlots, 'task')} waiting for group slots (${plural(full.length, 'group')} at their limit)`)
  }
  return {
    type,
    queued,
    running,
    settings: s,
    use: {
      running: use.running,
      starts: use.starts,
      rateN,
      groups: use.groups.length,
      groupsAtLimit: full.length,
      fullGroups: full.slice(0, FULL_GROUPS_SHOWN),
    },
    held,
    notes,
  }
}
