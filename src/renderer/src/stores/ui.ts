import { create } from 'zustand'
import type { ApiResults } from '../../../api/contract.ts'

export const VIEWS = [
  { id: 'connections', label: 'Connections', key: 'c' },
  { id: 'workers', label: 'Workers', key: 'w' },
  { id: 'drones', label: 'Drones', key: 'd' },
  { id: 'flow', label: 'Flow', key: 'f' },
  { id: 'tasks', label: 'Tasks', key: 't' },
  { id: 'enqueue', label: 'Enqueue', key: 'e' },
  { id: 'cluster', label: 'Cluster', key: 'k' },
  { id: 'schedules', label: 'Schedules', key: 's' },
  { id: 'types', label: 'Types', key: 'y' },
  { id: 'debugger', label: 'Debugger', key: 'b' },
  { id: 'profiles', label: 'Profiles', key: 'p' },
  { id: 'activity', label: 'Activity', key: 'a' },
] as const
export type ViewId = (typeof VIEWS)[number]['id']

/** The digit that switches to the view at this index: 1–9 for the first nine, none past them. */
export function viewDigit(index: number): string | null {
  return index < 9 ? String(index + 1) : null
}
export type Theme = 'system' | 'dark' | 'light'

interface UiState {
  view: ViewId
  theme: Theme
  /** the connection Tasks, Enqueue and Cluster work on */
  connectionId: string | null
  /** task open in the detail panel */
  taskId: string | null
  info: ApiResults['app.info'] | null
  showHelp: boolean
  go(view: ViewId): void
  setTheme(theme: Theme): void
  selectConnection(id: string | null): void
  openTask(id: string | null): void
}

function storedTheme(): Theme {
  const t = globalThis.localStorage?.getItem('swarmage.theme')
  return t === 'dark' || t === 'light' ? t : 'system'
}

export const useUi = create<UiState>((set) => ({
  view: 'flow',
  theme: storedTheme(),
  connectionId: globalThis.localStorage?.getItem('swarmage.connection') ?? null,
  taskId: null,
  info: null,
  showHelp: false,
  go: (view) => set({ view }),
  setTheme: (theme) => {
    globalThis.localStorage?.setItem('swarmage.theme', theme)
    set({ theme })
  },
  selectConnection: (connectionId) => {
    if (connectionId) globalThis.localStorage?.setItem('swarmage.connection', connectionId)
    set({ connectionId, taskId: null })
  },
  openTask: (taskId) => set(taskId ? { taskId, view: 'tasks' } : { taskId: null }),
}))
