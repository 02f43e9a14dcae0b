import { create } from 'zustand'
import type { Connection, DroneView, WorkerDefinitionRecord } from '../../../api/contract.ts'
import { call, toApiError, type ApiError } from '../transport/index.ts'
import { useBulk } from './bulk.ts'
import { useUi } from './ui.ts'

interface ListState<T> {
  items: T[]
  loaded: boolean
  error: ApiError | null
  load(): Promise<void>
  replace(items: T[]): void
}

function listStore<T>(fetch: () => Promise<T[]>, after?: (items: T[]) => void) {
  return create<ListState<T>>((set) => ({
    items: [],
    loaded: false,
    error: null,
    async load() {
      try {
        const items = await fetch()
        set({ items, loaded: true, error: null })
        after?.(items)
      } catch (err) {
        set({ error: toApiError(err), loaded: true })
      }
    },
    replace(items) {
      set({ items, loaded: true, error: null })
      after?.(items)
    },
  }))
}

/** Keeps the selected connection valid: the first (builtin) one when none or a removed one is selected. */
function keepSelection(items: Connection[]): void {
  const ui = useUi.getState()
  if (ui.connectionId && items.some((c) => c.id === ui.connectionId)) return
  ui.selectConnection(items[0]?.id ?? null)
}

export const useConnections = listStore<Connection>(() => call('connections.list', {}), keepSelection)
export const useWorkerDefs = listStore<WorkerDefinitionRecord>(() => call('workers.list', {}))
export const useDrones = listStore<DroneView>(() => call('drones.list', {}))

export function reloadAll(): void {
  void useConnections.getState().load()
  void useWorkerDefs.getState().load()
  void useDrones.getState().load()
  void useBulk.getState().load()
  call('app.info', {}).then(
    (info) => useUi.setState({ info }),
    () => undefined,
  )
}
