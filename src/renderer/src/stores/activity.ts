import { create } from 'zustand'
import type { ActivityEntry } from '../../../api/audit.ts'
import { call, toApiError, type ApiError } from '../transport/index.ts'

/** Lines kept in the view; older ones stay in console.db. */
const SHOWN = 200

interface ActivityState {
  items: ActivityEntry[]
  error: ApiError | null
  load(): Promise<void>
  /** A pushed line (newest first); one already listed is not repeated. */
  add(entry: ActivityEntry): void
}

export const useActivity = create<ActivityState>((set) => ({
  items: [],
  error: null,
  async load() {
    try {
      set({ items: await call('activity.list', { limit: SHOWN }), error: null })
    } catch (err) {
      set({ error: toApiError(err) })
    }
  },
  add(entry) {
    set((s) => (s.items.some((e) => e.id === entry.id) ? s : { items: [entry, ...s.items].slice(0, SHOWN) }))
  },
}))
