import { create } from 'zustand'
import type { ApiParams } from '../../../api/contract.ts'
import type { Task, TaskState } from '../../../core/task.ts'
import { call, toApiError, type ApiError } from '../transport/index.ts'

export interface TaskFilters {
  state?: TaskState
  type?: string
  search?: string
}

/** First page small for a fast first paint; later pages at the API maximum, since each costs a round trip and a count (100k tasks on PostgreSQL: 200 pages of 500 took 60 s). */
const FIRST_PAGE = 100
const NEXT_PAGE = 1000

interface TasksState {
  connectionId: string | null
  filters: TaskFilters
  rows: Task[]
  total: number
  totalCapped: boolean
  hasMore: boolean
  loading: boolean
  error: ApiError | null
  /** tasks newer than the first row, held back while the user is scrolled down (no jumps) */
  pendingNew: number
  /** ms the last first-page load took (shown, and read by the bench) */
  lastLoadMs: number | null
  setQuery(connectionId: string | null, filters: TaskFilters): void
  reload(): Promise<void>
  loadMore(): Promise<void>
  refreshHead(atTop: boolean): Promise<void>
  refreshRange(start: number, count: number): Promise<void>
  patch(task: Task): void
  drop(id: string): void
}

/** Bumps on every query change: answers to an older query are dropped. */
let gen = 0

function params(s: Pick<TasksState, 'connectionId' | 'filters'>, limit: number, before?: Task): ApiParams<'tasks.list'> {
  const p: ApiParams<'tasks.list'> = { connectionId: s.connectionId!, limit }
  if (s.filters.state) p.state = s.filters.state
  if (s.filters.type) p.type = s.filters.type
  if (s.filters.search) p.search = s.filters.search
  if (before) p.before = { createdAt: before.createdAt, id: before.id }
  return p
}

export const useTasks = create<TasksState>((set, get) => ({
  connectionId: null,
  filters: {},
  rows: [],
  total: 0,
  totalCapped: false,
  hasMore: false,
  loading: false,
  error: null,
  pendingNew: 0,
  lastLoadMs: null,

  setQuery(connectionId, filters) {
    const s = get()
    if (s.connectionId === connectionId && JSON.stringify(s.filters) === JSON.stringify(filters)) return
    set({ connectionId, filters })
    void get().reload()
  },

  async reload() {
    const my = ++gen
    const s = get()
    if (!s.connectionId) {
      set({ rows: [], total: 0, hasMore: false, loading: false, error: null })
      return
    }
    set({ loading: true, error: null, pendingNew: 0 })
    const t0 = performance.now()
    try {
      const r = await call('tasks.list', params(s, FIRST_PAGE))
      if (my !== gen) return
      set({ rows: r.tasks, total: r.total, totalCapped: r.totalCapped, hasMore: r.tasks.length === FIRST_PAGE, loading: false, lastLoadMs: performance.now() - t0 })
    } catch (err) {
      if (my === gen) set({ loading: false, error: toApiError(err), rows: [], total: 0, hasMore: false })
    }
  },

  async loadMore() {
    const s = get()
    if (s.loading || !s.hasMore || !s.connectionId) return
    const my = gen
    set({ loading: true })
    try {
      const r = await call('tasks.list', params(s, NEXT_PAGE, s.rows[s.rows.length - 1]))
      if (my !== gen) return
      const seen = new Set(get().rows.map((t) => t.id))
      const fresh = r.tasks.filter((t) => !seen.has(t.id))
      set((cur) => ({ rows: [...cur.rows, ...fresh], hasMore: r.tasks.length === NEXT_PAGE, loading: false, total: Math.max(cur.total, cur.rows.length + fresh.length) }))
    } catch (err) {
      if (my === gen) set({ loading: false, error: toApiError(err) })
    }
  },

  async refreshHead(atTop) {
    const s = get()
    if (!s.connectionId || s.loading) return
    const my = gen
    try {
      const r = await call('tasks.list', params(s, FIRST_PAGE))
      if (my !== gen) return
      const cur = get()
      const first = cur.rows[0]
      const at = first ? r.tasks.findIndex((t) => t.id === first.id) : -1
      const byId = new Map(r.tasks.map((t) => [t.id, t]))
      const updated = cur.rows.map((t) => byId.get(t.id) ?? t)
      if (!first || (atTop && cur.rows.length <= FIRST_PAGE)) {
        // At the top with one page loaded, the fresh page simply is the list (rows leaving a state filter go too).
        set({ rows: r.tasks, total: r.total, totalCapped: r.totalCapped, hasMore: r.tasks.length === FIRST_PAGE, pendingNew: 0 })
      } else if (at < 0 && r.tasks.length > 0 && r.tasks[0]!.createdAt >= first.createdAt) {
        // More new tasks than one page: a jump is unavoidable, so only take it when at the top.
        if (atTop) set({ rows: r.tasks, total: r.total, totalCapped: r.totalCapped, hasMore: r.tasks.length === FIRST_PAGE, pendingNew: 0 })
        else set({ rows: updated, pendingNew: r.total - cur.rows.length, total: r.total, totalCapped: r.totalCapped })
      } else if (at > 0 && atTop) {
        set({ rows: [...r.tasks.slice(0, at), ...updated], total: r.total, totalCapped: r.totalCapped, pendingNew: 0 })
      } else {
        set({ rows: updated, pendingNew: Math.max(0, at), total: r.total, totalCapped: r.totalCapped })
      }
    } catch {
      // A failed background refresh keeps what is shown; the next tick tries again.
    }
  },

  async refreshRange(start, count) {
    const s = get()
    if (!s.connectionId || start <= 0 || start >= s.rows.length) return
    const my = gen
    try {
      const r = await call('tasks.list', params(s, Math.min(1000, count), s.rows[start - 1]))
      if (my !== gen) return
      const byId = new Map(r.tasks.map((t) => [t.id, t]))
      set((cur) => ({ rows: cur.rows.map((t, i) => (i >= start && i < start + count ? (byId.get(t.id) ?? t) : t)) }))
    } catch {
      // as above
    }
  },

  patch(task) {
    set((cur) => ({ rows: cur.rows.map((t) => (t.id === task.id ? task : t)) }))
  },

  drop(id) {
    set((cur) => ({ rows: cur.rows.filter((t) => t.id !== id), total: Math.max(0, cur.total - 1) }))
  },
}))
