/**
 * Pushes for one WebSocket, coalesced: within PUSH_BATCH_MS only the newest 'drones' and
 * 'worker-definitions' snapshots survive, flow deltas of one drone are merged, notices are kept (up
 * to a cap). While the socket's send buffer is above HIGH_WATER_BYTES (a slow client, a stalled
 * network) nothing is sent and everything keeps merging in place, so memory stays bounded whatever
 * the task rate: at most one delta per drone plus two snapshots and NOTICE_CAP notices.
 */
import type { FlowDelta, PushMessage } from '../api/contract.ts'
import { mergeFlowDeltas } from '../api/flow.ts'

export const PUSH_BATCH_MS = 50
export const HIGH_WATER_BYTES = 1024 * 1024
const NOTICE_CAP = 100

export interface PushSink {
  readonly bufferedAmount: number
  send(frame: string): void
}

export class PushBatcher {
  private readonly flows = new Map<string, FlowDelta>()
  private drones: PushMessage | null = null
  private definitions: PushMessage | null = null
  private notices: PushMessage[] = []
  private timer: NodeJS.Timeout | null = null
  private closed = false
  /** Flow deltas merged into a held one (tests and logs read these). */
  merged = 0
  /** Flushes put off because the socket's buffer was above HIGH_WATER_BYTES. */
  deferred = 0

  constructor(private readonly sink: PushSink) {}

  add(m: PushMessage): void {
    if (this.closed) return
    switch (m.channel) {
      case 'flow': {
        const held = this.flows.get(m.delta.droneId)
        if (held) this.merged++
        this.flows.set(m.delta.droneId, held ? mergeFlowDeltas(held, m.delta) : m.delta)
        break
      }
      case 'drones':
        this.drones = m
        break
      case 'worker-definitions':
        this.definitions = m
        break
      case 'notice':
        if (this.notices.length < NOTICE_CAP) this.notices.push(m)
        break
    }
    this.schedule()
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private schedule(): void {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => this.flush(), PUSH_BATCH_MS)
  }

  private flush(): void {
    this.timer = null
    if (this.closed) return
    if (this.sink.bufferedAmount > HIGH_WATER_BYTES) {
      // Try again later; what is held keeps merging meanwhile.
      this.deferred++
      this.schedule()
      return
    }
    const out: PushMessage[] = this.notices
    this.notices = []
    if (this.definitions) out.push(this.definitions)
    if (this.drones) out.push(this.drones)
    this.definitions = this.drones = null
    for (const delta of this.flows.values()) out.push({ channel: 'flow', delta })
    this.flows.clear()
    for (const m of out) this.sink.send(JSON.stringify({ push: m }))
  }
}
