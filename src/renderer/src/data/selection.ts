import { useEffect } from 'react'
import { useUi } from '../stores/ui.ts'
import { useConnections } from './queries.ts'

/** Keeps the selected connection valid: the first (builtin) one when none or a removed one is selected. */
export function useKeepConnectionSelected(): void {
  const { data: connections } = useConnections()
  const selected = useUi((s) => s.connectionId)
  useEffect(() => {
    if (!connections) return
    if (selected && connections.some((c) => c.id === selected)) return
    useUi.getState().selectConnection(connections[0]?.id ?? null)
  }, [connections, selected])
}
