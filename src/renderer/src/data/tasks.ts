import { infiniteQueryOptions, type InfiniteData, type QueryClient } from '@tanstack/react-query'
import type { ApiParams } from '../../../api/contract.ts'
import type { Task, TaskState } from '../../../core/task.ts'
import { callApi } from './api-query.ts'

export interface TaskFilters {
  state?: TaskState
  type?: string
  search?: string
}

/** First page small for a fast first paint; later pages at the API maximum, since each costs a round trip and a count (100k tasks on PostgreSQL: 200 pages of 500 took 60 s). */
export const FIRST_PAGE = 100
export const NEXT_PAGE = 1000

export type Cursor = Pick<Task, 'createdAt' | 'id'>

export interface TasksPage {
  tasks: Task[]
  total: number
  totalCapped: boolean
  /** a full page: there may be more after it */
  more: boolean
  /** how long the call took, ms (the first page's is shown, and read by the bench) */
  ms: number
}

// pageParams as TanStack infers them from the options (the cursors are only read by getNextPageParam).
export type TasksData = InfiniteData<TasksPage, unknown>

function listParams(connectionId: string, f: TaskFilters, limit: number, before: Cursor | null): ApiParams<'tasks.list'> {
  const p: ApiParams<'tasks.list'> = { connectionId, limit }
  if (f.state) p.state = f.state
  if (f.type) p.type = f.type
  if (f.search) p.search = f.search
  if (before) p.before = { createdAt: before.createdAt, id: before.id }
  return p
}

export async function fetchTasksPage(connectionId: string, f: TaskFilters, before: Cursor | null, limit = before ? NEXT_PAGE : FIRST_PAGE): Promise<TasksPage> {
  const t0 = performance.now()
  const r = await callApi('tasks.list', listParams(connectionId, f, limit, before))
  return { ...r, more: r.tasks.length === limit, ms: performance.now() - t0 }
}

/** Every task list of a queue (any filters), for patches after an action: `['tasks.list', { connectionId }]` matches them all. */
export const tasksListsKey = (connectionId: string) => ['tasks.list', { connectionId }] as const

/**
 * A queue's task list under a filter, page by page (keyset pages: `before` the last row). The key
 * carries the filter, so an answer to an older filter lands in its own entry and never over the
 * current one. Not stale by time: TasksView patches the head and the visible rows (mergeHead,
 * patchRows) instead of re-reading every loaded page, which at 100k rows would be 100 calls.
 */
export function tasksQuery(connectionId: string, filters: TaskFilters) {
  return infiniteQueryOptions({
    queryKey: ['tasks.list', { connectionId, ...filters }, 'pages'] as const,
    queryFn: ({ pageParam }) => fetchTasksPage(connectionId, filters, pageParam),
    initialPageParam: null as Cursor | null,
    getNextPageParam: (last: TasksPage): Cursor | null | undefined => {
      const t = last.tasks[last.tasks.length - 1]
      return last.more && t ? { createdAt: t.createdAt, id: t.id } : undefined
    },
    staleTime: Infinity,
  })
}

/** The loaded rows in order; a task that moved between pages while they loaded is listed once. */
export function taskRows(data: TasksData | undefined): Task[] {
  if (!data) return []
  if (data.pages.length === 1) return data.pages[0]!.tasks
  const seen = new Set<string>()
  const rows: Task[] = []
  for (const p of data.pages) {
    for (const t of p.tasks) {
      if (seen.has(t.id)) continue
      seen.add(t.id)
      rows.push(t)
    }
  }
  return rows
}

/** The fresh copies of these tasks replace the listed ones (others untouched); the same object when nothing changed. */
export function patchRows(data: TasksData, fresh: Task[]): TasksData {
  if (fresh.length === 0) return data
  const byId = new Map(fresh.map((t) => [t.id, t]))
  let changed = false
  const pages = data.pages.map((p) => {
    if (!p.tasks.some((t) => byId.has(t.id))) return p
    changed = true
    return { ...p, tasks: p.tasks.map((t) => byId.get(t.id) ?? t) }
  })
  return changed ? { ...data, pages } : data
}

/** A deleted task leaves every list it was in. */
export function dropRow(data: TasksData, id: string): TasksData {
  if (!data.pages.some((p) => p.tasks.some((t) => t.id === id))) return data
  const pages = data.pages.map((p, i) => {
    const tasks = p.tasks.filter((t) => t.id !== id)
    return { ...p, tasks, total: i === 0 ? Math.max(0, p.total - 1) : p.total }
  })
  return { ...data, pages }
}

/**
 * Folds a fresh first page into the loaded list without moving what the operator is looking at:
 * at the top with one page loaded, the fresh page simply is the list; scrolled down, new tasks are
 * held back and counted (`pendingNew`, the "N newer tasks — show" banner) while loaded rows get
 * their fresh state.
 */
export function mergeHead(data: TasksData | undefined, fresh: TasksPage, atTop: boolean): { data: TasksData; pendingNew: number } {
  const whole = (): { data: TasksData; pendingNew: number } => ({ data: { pages: [fresh], pageParams: [null] }, pendingNew: 0 })
  const rows = taskRows(data)
  const first = rows[0]
  if (!data || !first || (atTop && rows.length <= FIRST_PAGE)) return whole()
  const at = fresh.tasks.findIndex((t) => t.id === first.id)
  const counted = (d: TasksData): TasksData => ({ ...d, pages: d.pages.map((p, i) => (i === 0 ? { ...p, total: fresh.total, totalCapped: fresh.totalCapped } : p)) })
  const updated = counted(patchRows(data, fresh.tasks))
  if (at < 0 && fresh.tasks.length > 0 && fresh.tasks[0]!.createdAt >= first.createdAt) {
    // More new tasks than one page: a jump is unavoidable, so only take it when at the top.
    return atTop ? whole() : { data: updated, pendingNew: Math.max(0, fresh.total - rows.length) }
  }
  if (at > 0 && atTop) {
    const [head, ...rest] = updated.pages
    return { data: { ...updated, pages: [{ ...head!, tasks: [...fresh.tasks.slice(0, at), ...head!.tasks] }, ...rest] }, pendingNew: 0 }
  }
  return { data: updated, pendingNew: Math.max(0, at) }
}

/** After an action on one task (retry, cancel): its fresh copy in every list of its queue. */
export function patchTaskEverywhere(client: QueryClient, connectionId: string, task: Task): void {
  client.setQueriesData<TasksData>({ queryKey: tasksListsKey(connectionId) }, (d) => (d && 'pages' in d ? patchRows(d, [task]) : d))
}

export function dropTaskEverywhere(client: QueryClient, connectionId: string, id: string): void {
  client.setQueriesData<TasksData>({ queryKey: tasksListsKey(connectionId) }, (d) => (d && 'pages' in d ? dropRow(d, id) : d))
}
