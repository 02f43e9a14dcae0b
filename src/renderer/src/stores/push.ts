import type { QueryClient } from '@tanstack/react-query'
import type { PushMessage } from '../../../api/contract.ts'
import { receivedNow } from '../data/list-freshness.ts'
import { applyPushesToCache } from '../data/push-cache.ts'
import { subscribe } from '../transport/index.ts'
import { applyReplayEvent } from '../views/debugger/replays.ts'
import { applyDebugEvent } from '../views/debugger/store.ts'
import { applyFlowDelta, useFlow } from './flow.ts'
import { useNotices } from './notices.ts'

/**
 * Push messages arrive up to ~20/s per channel. They are queued and applied once per animation
 * frame: one cache or store update per channel per frame, so React renders at most at the display
 * rate, and a burst of deltas costs one render, not twenty. Hidden tabs get no frames; a 1 s timer
 * stands in so buffers stay bounded and charts are current when the tab comes back.
 *
 * Server state (drones, worker definitions, activity, bulk jobs, open task details) goes to the
 * query cache (data/push-cache.ts); the flow's chart buffers, notices and debugger/replay event
 * logs stay in their zustand stores.
 */
let queue: PushMessage[] = []
/** When each queued message arrived (list-freshness.ts: a list read that answered since wins over it). */
let arrivals: number[] = []
let scheduled = false
let client: QueryClient | null = null

function flush(): void {
  scheduled = false
  const batch = queue
  const receivedAt = arrivals
  queue = []
  arrivals = []
  let flowed = false
  for (const m of batch) {
    if (m.channel === 'flow') {
      applyFlowDelta(m.delta)
      flowed = true
    } else if (m.channel === 'notice') useNotices.getState().add(m.level, m.message)
    else if (m.channel === 'debug') applyDebugEvent(m.sessionId, m.event)
    else if (m.channel === 'replay') applyReplayEvent(m.replayId, m.event)
  }
  if (client) applyPushesToCache(client, batch, receivedAt)
  if (flowed) useFlow.getState().bump()
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  if (document.hidden) setTimeout(flush, 1000)
  else requestAnimationFrame(flush)
}

export function startPushes(queryClient: QueryClient): () => void {
  client = queryClient
  return subscribe((m) => {
    queue.push(m)
    arrivals.push(receivedNow())
    schedule()
  })
}
