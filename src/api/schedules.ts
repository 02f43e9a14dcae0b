import cronstrue from 'cronstrue'
import type { Queue } from '../queue/queue.ts'
import { nextTicks, type Schedule } from '../schedules/definition.ts'

/** A schedule as the console's Schedules view shows it: plus the cron in plain words and the next five runs. */
export interface ScheduleView extends Schedule {
  /** cronstrue's English reading of the expression ("At 02:30 AM"); the time zone is shown beside it. */
  description: string
  nextRuns: string[]
}

export function describeCron(cron: string): string {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true })
  } catch {
    return cron
  }
}

export async function listScheduleViews(queue: Queue): Promise<ScheduleView[]> {
  const [list, now] = await Promise.all([queue.schedules(), queue.now()])
  return list.map((s) => ({
    ...s,
    description: describeCron(s.cron),
    nextRuns: s.paused ? [] : nextTicks(s.cron, s.timezone, new Date(Math.max(now.getTime(), new Date(s.nextRun ?? 0).getTime() - 1)), 5).map((d) => d.toISOString()),
  }))
}
