import type { QueryClient } from '@tanstack/react-query'
import { useTransportStatus } from '../transport/index.ts'

/**
 * Pushes missed while the link was down are not replayed, so every re-open re-reads what is cached:
 * active queries at once, the others when next shown. Task lists are left to TasksView's live head
 * refresh (within a second), since re-reading an infinite list re-reads every loaded page.
 */
export function refetchOnReconnect(client: QueryClient): () => void {
  let seen = useTransportStatus.getState().opens
  return useTransportStatus.subscribe((s) => {
    if (s.opens === seen) return
    const first = seen === 0
    seen = s.opens
    // The first open lets waiting calls through, and nothing cached can be missing a push yet: only
    // calls that gave up waiting for it are tried again.
    void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'tasks.list' && (!first || q.state.status === 'error') })
  })
}
