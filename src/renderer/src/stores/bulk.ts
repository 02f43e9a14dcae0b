import { create } from 'zustand'
import type { BulkJobView } from '../../../api/bulk-jobs.ts'

/** UI state of the bulk bar; the jobs themselves are server state (bulkJobsQuery, pushed on the `bulk` channel). */
interface BulkUiState {
  /** a finished job the operator has dismissed is no longer shown */
  dismissed: Record<string, true>
  dismiss(id: string): void
}

export const useBulkUi = create<BulkUiState>((set) => ({
  dismissed: {},
  dismiss(id) {
    set((s) => ({ dismissed: { ...s.dismissed, [id]: true } }))
  },
}))

/** The job the Tasks view shows for a connection: a running one, else the newest unless dismissed (never an older one). */
export function shownJob(jobs: readonly BulkJobView[], dismissed: Record<string, true>, connectionId: string | null): BulkJobView | null {
  const mine = jobs.filter((j) => j.connectionId === connectionId)
  const running = mine.find((j) => j.state === 'running')
  if (running) return running
  const newest = mine.reduce<BulkJobView | null>((a, j) => (!a || j.startedAt > a.startedAt ? j : a), null)
  return newest && !dismissed[newest.id] ? newest : null
}
