/**
 * Coalesces the console service's pushes into at most one IPC send per window (50 ms → ≤ 20 sends a
 * second), whatever the drones emit: a drone finishing 10,000 tasks a second must not cost the
 * renderer 10,000 structured-clone deliveries and React renders.
 *
 * Within a window: `drones` and `worker-definitions` are full snapshots, so only the newest of each
 * is kept; `flow` deltas of one drone are merged into one (counts summed, latency summaries combined,
 * the newest 50 events kept); `notice`s are all kept, up to MAX_NOTICES (the newest).
 */
import type { FlowDelta, PushMessage } from '../api/contract.ts'

export const PUSH_WINDOW_MS = 50
const MAX_NOTICES = 20
const MAX_RECENT = 50

type Notice = Extract<PushMessage, { channel: 'notice' }>
type Summary = FlowDelta['types'][string]['runMs']

export class PushBatcher {
  private flows = new Map<string, FlowDelta>()
  private drones: Extract<PushMessage, { channel: 'drones' }> | undefined
  private definitions: Extract<PushMessage, { channel: 'worker-definitions' }> | undefined
  private notices: Notice[] = []
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  /** `send` receives each window's messages, in the order: definitions, drones, flows, notices. */
  constructor(
    private readonly send: (messages: PushMessage[]) => void,
    private readonly windowMs = PUSH_WINDOW_MS,
  ) {}

  push(message: PushMessage): void {
    if (this.stopped) return
    switch (message.channel) {
      case 'flow': {
        const prev = this.flows.get(message.delta.droneId)
        this.flows.set(message.delta.droneId, prev ? mergeFlow(prev, message.delta) : message.delta)
        break
      }
      case 'drones':
        this.drones = message
        break
      case 'worker-definitions':
        this.definitions = message
        break
      case 'notice':
        this.notices.push(message)
        if (this.notices.length > MAX_NOTICES) this.notices.shift()
        break
    }
    // Trailing window: the first push after a quiet spell waits ≤ 50 ms, so a burst is one send.
    this.timer ??= setTimeout(() => this.flush(), this.windowMs)
  }

  /** Sends what is pending now (also used on shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const out: PushMessage[] = []
    if (this.definitions) out.push(this.definitions)
    if (this.drones) out.push(this.drones)
    for (const delta of this.flows.values()) out.push({ channel: 'flow', delta })
    out.push(...this.notices)
    this.definitions = undefined
    this.drones = undefined
    this.flows = new Map()
    this.notices = []
    if (out.length > 0) this.send(out)
  }

  /** Drops anything pending and ignores later pushes (the window is gone). */
  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}

export function mergeFlow(a: FlowDelta, b: FlowDelta): FlowDelta {
  const types: FlowDelta['types'] = { ...a.types }
  for (const [type, t] of Object.entries(b.types)) {
    const p = types[type]
    types[type] = p
      ? {
          claimed: p.claimed + t.claimed,
          dispatched: p.dispatched + t.dispatched,
          started: p.started + t.started,
          succeeded: p.succeeded + t.succeeded,
          failed: p.failed + t.failed,
          retried: p.retried + t.retried,
          cancelled: p.cancelled + t.cancelled,
          handedBack: p.handedBack + t.handedBack,
          leaseLost: p.leaseLost + t.leaseLost,
          runMs: mergeSummary(p.runMs, t.runMs),
          waitMs: mergeSummary(p.waitMs, t.waitMs),
        }
      : t
  }
  const start = Math.min(a.at - a.windowMs, b.at - b.windowMs)
  const at = Math.max(a.at, b.at)
  return { droneId: b.droneId, at, windowMs: at - start, types, recent: [...a.recent, ...b.recent].slice(-MAX_RECENT) }
}

/**
 * Counts, sums and maxima combine exactly; percentiles cannot be recovered from two summaries, so
 * they are count-weighted averages: close enough for a live chart redrawn every 50 ms.
 */
function mergeSummary(a: Summary, b: Summary): Summary {
  const count = a.count + b.count
  if (count === 0) return a
  const w = (x: number, y: number): number => (x * a.count + y * b.count) / count
  return { count, sum: a.sum + b.sum, max: Math.max(a.max, b.max), p50: w(a.p50, b.p50), p95: w(a.p95, b.p95) }
}
