import type { PushMessage } from '../../../api/contract.ts'
import { subscribe } from '../transport/index.ts'
import { applyReplayEvent } from '../views/debugger/replays.ts'
import { applyDebugEvent } from '../views/debugger/store.ts'
import { applyProfile } from '../views/profiles/store.ts'
import { applyFlowDelta, useFlow } from './flow.ts'
import { useNotices } from './notices.ts'
import { useActivity } from './activity.ts'
import { useBulk } from './bulk.ts'
import { useDrones, useWorkerDefs } from './resources.ts'

/**
 * Push messages arrive up to ~20/s per channel. They are queued and applied once per animation
 * frame: one store update per channel per frame, so React renders at most at the display rate, and
 * a burst of deltas costs one render, not twenty. Hidden tabs get no frames; a 1 s timer stands in
 * so buffers stay bounded and charts are current when the tab comes back.
 */
let queue: PushMessage[] = []
let scheduled = false

function flush(): void {
  scheduled = false
  const batch = queue
  queue = []
  let drones: Extract<PushMessage, { channel: 'drones' }> | null = null
  let defs: Extract<PushMessage, { channel: 'worker-definitions' }> | null = null
  let flowed = false
  for (const m of batch) {
    if (m.channel === 'flow') {
      applyFlowDelta(m.delta)
      flowed = true
    } else if (m.channel === 'drones') drones = m
    else if (m.channel === 'worker-definitions') defs = m
    else if (m.channel === 'notice') useNotices.getState().add(m.level, m.message)
    else if (m.channel === 'debug') applyDebugEvent(m.sessionId, m.event)
    else if (m.channel === 'replay') applyReplayEvent(m.replayId, m.event)
    else if (m.channel === 'activity') useActivity.getState().add(m.entry)
    else if (m.channel === 'bulk') useBulk.getState().update(m.job)
    else if (m.channel === 'profiles') applyProfile(m.profile)
  }
  if (drones) useDrones.getState().replace(drones.drones)
  if (defs) useWorkerDefs.getState().replace(defs.definitions)
  if (flowed) useFlow.getState().bump()
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  if (document.hidden) setTimeout(flush, 1000)
  else requestAnimationFrame(flush)
}

export function startPushes(): () => void {
  return subscribe((m) => {
    queue.push(m)
    schedule()
  })
}
