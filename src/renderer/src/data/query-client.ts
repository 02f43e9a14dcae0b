import { QueryClient } from '@tanstack/react-query'
import type { ApiError } from '../transport/index.ts'

declare module '@tanstack/react-query' {
  interface Register {
    // Every query function goes through apiQuery (queries.ts), which turns any failure into an ApiError for ErrorBox.
    defaultError: ApiError
  }
}

/**
 * The renderer's one QueryClient: every piece of server state lives in its cache.
 * - No retries: an error is shown at once with its fix hint and a "Try again" (the transport already
 *   waits up to 10 s for a reconnect before failing a call).
 * - No refetch on window focus or `navigator.onLine`: pushes keep the pushed lists current, and the
 *   transport's own reconnect invalidates everything (data/live.ts) — a browser's online flag says
 *   nothing about our WebSocket or the Electron bridge.
 * - `networkMode: 'always'`: calls are not paused on `navigator.onLine` (the bridge needs no network).
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false, networkMode: 'always' },
      mutations: { retry: false, networkMode: 'always' },
    },
  })
}

export const queryClient = createQueryClient()
