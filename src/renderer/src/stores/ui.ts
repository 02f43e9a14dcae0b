import { create } from 'zustand'
import { navigate } from '../router/navigate.ts'
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

export const useUi = create<UiState>((set, get) => ({
  view: 'flow',
  theme: storedTheme(),
  connectionId: globalThis.localStorage?.getItem('swarmage.connection') ?? null,
  taskId: null,
  lastTaskId: null,
  showHelp: false,
  // The task detail is a panel beside the list: going back to Tasks shows the task left open there (closing it forgets it).
  go: (view) => navigate(view === 'tasks' && get().lastTaskId ? { view, id: get().lastTaskId, connection: get().connectionId } : { view }),
  setTheme: (theme) => {
    globalThis.localStorage?.setItem('swarmage.theme', theme)
    set({ theme })
  },
  selectConnection: (connectionId) => {
    rememberConnection(connectionId)
    set({ connectionId, lastTaskId: null })
    // A task id means nothing in another queue: its detail closes.
    if (get().taskId) navigate({ view: 'tasks' })
  },
  // A task link names its queue, so the address alone reopens it (pasted into a chat, or after Back).
  openTask: (taskId, connectionId) => navigate(taskId ? { view: 'tasks', id: taskId, connection: connectionId ?? get().connectionId } : { view: get().view }),
}))
