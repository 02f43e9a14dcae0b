import { create } from 'zustand'
import type { TaskFilters } from '../data/tasks.ts'
import { navigate } from '../router/navigate.ts'
import { parseRoute, tasksRoute } from '../router/routes.ts'
import type { ViewId } from '../router/views.ts'

export { VIEWS, viewDigit, type ViewId } from '../router/views.ts'

export type Theme = 'system' | 'dark' | 'light'

interface UiState {
  /** the view and the task open in Tasks mirror the address (router/hash-router.ts): change them with go/openTask */
  view: ViewId
  theme: Theme
  /** the connection Tasks, Enqueue and Cluster work on */
  connectionId: string | null
  /** task open in the detail panel (`#/tasks/ID`) */
  taskId: string | null
  /** the task left open when the operator went to another view */
  lastTaskId: string | null
  /** the Tasks filters left in the address when the operator went to another view (only for `go('tasks')`; the view reads the address) */
  lastTaskFilters: TaskFilters
  showHelp: boolean
  go(view: ViewId): void
  setTheme(theme: Theme): void
  selectConnection(id: string | null): void
  /** opens a task's detail in Tasks; `connectionId`: the queue it is in, when not the selected one (Flow and Workers show every queue's drones) */
  openTask(id: string | null, connectionId?: string): void
}

function storedTheme(): Theme {
  const t = globalThis.localStorage?.getItem('swarmage.theme')
  return t === 'dark' || t === 'light' ? t : 'system'
}

/** The selected connection survives reloads (per browser profile). */
export function rememberConnection(id: string | null): void {
  if (id) globalThis.localStorage?.setItem('swarmage.connection', id)
}

/** The filters in the address now: the Tasks view's, none elsewhere. */
const routeFilters = (): TaskFilters => parseRoute(globalThis.location?.hash ?? '').filters

export const useUi = create<UiState>((set, get) => ({
  view: 'flow',
  theme: storedTheme(),
  connectionId: globalThis.localStorage?.getItem('swarmage.connection') ?? null,
  taskId: null,
  lastTaskId: null,
  lastTaskFilters: {},
  showHelp: false,
  // The task detail is a panel beside the list: going back to Tasks shows the list as it was left, filters and open task (closing it forgets it).
  go: (view) => navigate(view === 'tasks' ? tasksRoute(get().lastTaskId, get().connectionId, get().lastTaskFilters) : { view }),
  setTheme: (theme) => {
    globalThis.localStorage?.setItem('swarmage.theme', theme)
    set({ theme })
  },
  selectConnection: (connectionId) => {
    rememberConnection(connectionId)
    set({ connectionId, lastTaskId: null })
    // A task id means nothing in another queue: its detail closes. The filters stay (as a choice of what to
    // look at, they apply to any queue), and an address that names the old queue is rewritten to the new one.
    const r = parseRoute(globalThis.location?.hash ?? '')
    if (r.view === 'tasks' && (r.id || r.connection)) navigate(tasksRoute(null, connectionId, r.filters))
  },
  // A task link names its queue, so the address alone reopens it (pasted into a chat, or after Back); opened
  // from a filtered list it keeps the filters, so closing the detail returns to the same list.
  openTask: (taskId, connectionId) => {
    const filters = routeFilters()
    if (taskId) navigate(tasksRoute(taskId, connectionId ?? get().connectionId, filters))
    else navigate(get().view === 'tasks' ? tasksRoute(null, get().connectionId, filters) : { view: get().view })
  },
}))
