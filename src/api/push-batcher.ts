/**
 * Coalesces the console service's pushes into at most one send per window (50 ms → ≤ 20 a second),
 * whatever the drones emit: a drone finishing 10,000 tasks a second must not cost a renderer 10,000
 * deliveries and React renders. One batcher serves both transports: Electron IPC (src/main) and each
 * browser WebSocket (src/console/server.ts).
 *
 * Within a window: `drones` and `worker-definitions` are full snapshots, so only the newest of each is
 * kept; `flow` deltas of one drone are merged into one (mergeFlowDeltas); notices are kept up to a cap
 * (the newest); activity lines likewise, up to ACTIVITY_CAP (the list reloads on reconnect anyway).
 * While `held()` says the receiver is behind (a slow socket's send buffer), nothing is
 * sent and everything keeps merging in place, so memory stays bounded at one delta per drone, two
 * snapshots and the notice cap, whatever the task rate.
 */
import type { FlowDelta, PushMessage } from './contract.ts'
import { mergeFlowDeltas } from './flow.ts'

export const PUSH_WINDOW_MS = 50
const NOTICE_CAP = 20
const ACTIVITY_CAP = 100

type Notice = Extract<PushMessage, { channel: 'notice' }>
type Activity = Extract<PushMessage, { channel: 'activity' }>
type Bulk = Extract<PushMessage, { channel: 'bulk' }>
type Profile = Extract<PushMessage, { channel: 'profiles' }>

export interface PushBatcherOptions {
  /** Receives each window's messages, in order: definitions, drones, flows, notices, activity, bulk progress. */
  send: (messages: PushMessage[]) => void
  windowMs?: number
  /** True while the receiver cannot take more (the flush is put off and retried next window). */
  held?: () => boolean
}

export class PushBatcher {
  private flows = new Map<string, FlowDelta>()
  private drones: Extract<PushMessage, { channel: 'drones' }> | undefined
  private definitions: Extract<PushMessage, { channel: 'worker-definitions' }> | undefined
  private notices: Notice[] = []
  /** Debug and replay events are few (a pause, a resume, scripts once per attach, a replay's lines) and each matters: kept in order, uncapped. */
  private debug: PushMessage[] = []
  private activity: Activity[] = []
  /** bulk-action progress: a snapshot per job, so only its newest is kept */
  private bulk = new Map<string, Bulk>()
  /** a profile's state, per profile: only its newest is kept (its progress counts up, task by task) */
  private profiles = new Map<string, Profile>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  /** Flow deltas merged into a held one (tests and logs read these). */
  merged = 0
  /** Flushes put off because the receiver was held. */
  deferred = 0

  constructor(private readonly options: PushBatcherOptions) {}

  push(message: PushMessage): void {
    if (this.stopped) return
    switch (message.channel) {
      case 'flow': {
        const prev = this.flows.get(message.delta.droneId)
        if (prev) this.merged++
        this.flows.set(message.delta.droneId, prev ? mergeFlowDeltas(prev, message.delta) : message.delta)
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
        if (this.notices.length > NOTICE_CAP) this.notices.shift()
        break
      case 'debug':
      case 'replay':
        this.debug.push(message)
        break
      case 'activity':
        this.activity.push(message)
        if (this.activity.length > ACTIVITY_CAP) this.activity.shift()
        break
      case 'bulk':
        this.bulk.set(message.job.id, message)
        break
      case 'profiles':
        this.profiles.set(message.profile.id, message)
        break
      default: {
        // A new channel must choose how it is batched here, or its pushes would be lost.
        const unhandled: never = message
        throw new Error(`push-batcher: no rule for channel ${(unhandled as PushMessage).channel}`)
      }
    }
    this.schedule()
  }

  /** Sends what is pending now (also used on shutdown), unless the receiver is held. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.stopped) return
    if (this.options.held?.()) {
      this.deferred++
      this.schedule()
      return
    }
    const out: PushMessage[] = []
    if (this.definitions) out.push(this.definitions)
    if (this.drones) out.push(this.drones)
    for (const delta of this.flows.values()) out.push({ channel: 'flow', delta })
    out.push(...this.notices, ...this.debug)
    this.debug = []
    out.push(...this.activity)
    out.push(...this.bulk.values())
    out.push(...this.profiles.values())
    this.profiles = new Map()
    this.definitions = undefined
    this.drones = undefined
    this.flows = new Map()
    this.notices = []
    this.activity = []
    this.bulk = new Map()
    if (out.length > 0) this.options.send(out)
  }

  /** Drops anything pending and ignores later pushes (the window or socket is gone). */
  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  // Trailing window: the first push after a quiet spell waits one window, so a burst is one send.
  private schedule(): void {
    if (this.timer || this.stopped) return
    this.timer = setTimeout(() => this.flush(), this.options.windowMs ?? PUSH_WINDOW_MS)
  }
}
