import { create } from 'zustand'
import type { BulkJobView } from '../../../api/bulk-jobs.ts'
import { call } from '../transport/index.ts'

interface BulkState {
  /** by id: running jobs and recent finished ones (the service keeps the last 20) */
  jobs: Record<string, BulkJobView>
  /** a finished job the operator has dismissed is no longer shown */
  dismissed: Record<string, true>
  update(job: BulkJobView): void
  load(): Promise<void>
  dismiss(id: string): void
}

export const useBulk = create<BulkState>((set) => ({
  jobs: {},
  dismissed: {},
  update(job) {
    // Pushes of one job can overtake a reply: a finished view is never replaced by a running one.
    set((s) => {
      const cur = s.jobs[job.id]
      if (cur && cur.state !== 'running' && job.state === 'running') return s
      return { jobs: { ...s.jobs, [job.id]: job } }
    })
  },
  async load() {
    try {
      const list = await call('tasks.bulkJobs', {})
      set({ jobs: Object.fromEntries(list.map((j) => [j.id, j])) })
    } catch {
      // The bar shows nothing until the next push; the Tasks list itself is unaffected.
    }
  },
  dismiss(id) {
    set((s) => ({ dismissed: { ...s.dismissed, [id]: true } }))
  },
}))

/** The job the Tasks view shows for a connection: a running one, else the newest unless dismissed (never an older one). */
export function shownJob(s: Pick<BulkState, 'jobs' | 'dismissed'>, connectionId: string | null): BulkJobView | null {
  const mine = Object.values(s.jobs).filter((j) => j.connectionId === connectionId)
  const running = mine.find((j) => j.state === 'running')
  if (running) return running
  const newest = mine.reduce<BulkJobView | null>((a, j) => (!a || j.startedAt > a.startedAt ? j : a), null)
  return newest && !s.dismissed[newest.id] ? newest : null
}
