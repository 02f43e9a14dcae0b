/**
 * "Why isn't this running?" (CONTRACT.md "Debugging"): turns the facts a driver reads about one task
 * (GlobalQueueDriver.taskWhyFacts) and the drone registry into reasons, one per line of `swarmage
 * why`, each with a stable `code` and the figures behind it. Pure: the CLI, the library and the
 * console compute the same reasons from the same facts.
 */
import { parseRate } from '../core/flow.ts'
import type { TaskState } from '../core/task.ts'
import { WHY_AHEAD_CAP, type DroneInfo, type QueueStats, type TaskWhyFacts } from '../queue/driver.ts'

export type WhyCode =
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'held-by-drone'
  | 'lease-expired'
  | 'run-at'
  | 'backoff'
  | 'type-paused'
  | 'limit-full'
  | 'no-drone'
  | 'tasks-ahead'
  | 'next-in-line'

export interface WhyReason {
  code: WhyCode
  message: string
  [detail: string]: unknown
}

/** The shape of `swarmage why --json` and `queue.why(id)`. */
export interface WhyReport {
  id: string
  type: string
  state: TaskState
  /** The database clock when the facts were read. */
  at: string
  reasons: WhyReason[]
}

/** A drone's heartbeat lease when it did not record one (the contract's default leaseMs). */
const DEFAULT_LEASE_MS = 30_000
/** Slack past a drone's lease before its silence makes it dead (the rescuer's grace, src/drone/housekeeping.ts). */
const LIVE_GRACE_MS = 2_000
/** Drone states that still claim (src/drone/drone.ts DroneState). */
const CLAIMING = new Set(['starting', 'running'])

/** What the registry tells about one drone run, as `why` reads it. */
export interface DroneView {
  id: string
  name: string
  live: boolean
  claiming: boolean
  types: string[]
  lastSeenAgoMs: number
}

export function viewDrone(d: DroneInfo, nowMs: number): DroneView {
  const info = d.info
  const leaseMs = typeof info.leaseMs === 'number' ? info.leaseMs : DEFAULT_LEASE_MS
  const lastSeenAgoMs = Math.max(0, nowMs - Date.parse(d.lastSeen))
  const types = Array.isArray(info.types)
    ? info.types.map((t: unknown) => (t && typeof t === 'object' ? (t as { type?: unknown }).type : undefined)).filter((t): t is string => typeof t === 'string')
    : []
  const live = lastSeenAgoMs <= leaseMs + LIVE_GRACE_MS
  return { id: d.id, name: d.name, live, claiming: live && (typeof info.state !== 'string' || CLAIMING.has(info.state)), types, lastSeenAgoMs }
}

/** Live drones that claim tasks of `type` (the Flow view's warning uses it too). */
export function dronesServing(type: string, drones: DroneInfo[], nowMs: number): DroneView[] {
  return drones.map((d) => viewDrone(d, nowMs)).filter((d) => d.claiming && d.types.includes(type))
}

/** A type with queued tasks and no live drone serving it (the Flow view warns about each). */
export interface UnservedType {
  type: string
  queued: number
}

/** Every type with queued tasks that no live, claiming drone serves, most queued first. */
export function unservedTypes(stats: QueueStats, nowMs: number): UnservedType[] {
  const views = stats.drones.map((d) => viewDrone(d, nowMs)).filter((d) => d.claiming)
  const served = new Set(views.flatMap((d) => d.types))
  return Object.entries(stats.types)
    .filter(([type, counts]) => counts.queued > 0 && !served.has(type))
    .map(([type, counts]) => ({ type, queued: counts.queued }))
    .sort((a, b) => b.queued - a.queued || a.type.localeCompare(b.type))
}

export function explain(facts: TaskWhyFacts, drones: DroneInfo[]): WhyReport {
  const t = facts.task
  const nowMs = Date.parse(facts.now)
  const report: WhyReport = { id: t.id, type: t.type, state: t.state, at: facts.now, reasons: [] }
  const add = (r: WhyReason): void => void report.reasons.push(r)
  switch (t.state) {
    case 'succeeded':
      add({ code: 'succeeded', message: `succeeded on drone ${t.drone ?? '?'} at ${t.finishedAt} after ${plural(t.attempts, 'attempt')}`, drone: t.drone, finishedAt: t.finishedAt })
      return report
    case 'failed':
      add({
        code: 'failed',
        message: `failed after ${t.attempts} of ${t.maxAttempts} attempts${t.error ? `: ${firstLine(t.error.message)}` : ''}; \`swarmage retry ${t.id}\` runs it again`,
        attempts: t.attempts,
        error: t.error?.message ?? null,
      })
      return report
    case 'cancelled':
      add({ code: 'cancelled', message: `cancelled at ${t.finishedAt}; \`swarmage retry ${t.id}\` runs it again`, finishedAt: t.finishedAt })
      return report
    case 'running':
      add(held(facts, drones, nowMs))
      return report
    case 'queued':
      for (const r of queuedReasons(facts, drones, nowMs)) add(r)
      return report
  }
}

function held(facts: TaskWhyFacts, drones: DroneInfo[], nowMs: number): WhyReason {
  const t = facts.task
  const drone = drones.find((d) => d.id === facts.claimedBy)
  const expiresInMs = facts.leaseExpiresAt === null ? null : Date.parse(facts.leaseExpiresAt) - nowMs
  const lastHeartbeatAgoMs = drone ? Math.max(0, nowMs - Date.parse(drone.lastSeen)) : null
  const details = { drone: t.drone, droneId: facts.claimedBy, attempt: t.attempts, leaseExpiresAt: facts.leaseExpiresAt, leaseExpiresInMs: expiresInMs, lastHeartbeatAgoMs }
  const beat = lastHeartbeatAgoMs === null ? 'the drone is no longer registered' : `last heartbeat ${secs(lastHeartbeatAgoMs)} ago`
  if (expiresInMs !== null && expiresInMs < 0) {
    return {
      code: 'lease-expired',
      message: `held by drone ${t.drone ?? '?'} whose lease expired ${secs(-expiresInMs)} ago (${beat}): a live drone's rescuer puts it back in the queue`,
      ...details,
    }
  }
  const expiry = expiresInMs === null ? 'no lease' : `lease expires in ${secs(expiresInMs)}`
  return { code: 'held-by-drone', message: `held by drone ${t.drone ?? '?'} (attempt ${t.attempts} of ${t.maxAttempts}, ${expiry}, ${beat})`, ...details }
}

function queuedReasons(facts: TaskWhyFacts, drones: DroneInfo[], nowMs: number): WhyReason[] {
  const t = facts.task
  const reasons: WhyReason[] = []
  const waitMs = Date.parse(t.runAt) - nowMs
  if (waitMs > 0) {
    if (t.attempts > 0) {
      const error = t.error ? `: ${firstLine(t.error.message)}` : ''
      reasons.push({
        code: 'backoff',
        message: `backoff after attempt ${t.attempts} of ${t.maxAttempts}${error}; retries in ${secs(waitMs)} (at ${t.runAt})`,
        attempt: t.attempts,
        runAt: t.runAt,
        waitMs,
        error: t.error?.message ?? null,
      })
    } else {
      reasons.push({ code: 'run-at', message: `waiting for runAt ${t.runAt} (in ${secs(waitMs)})`, runAt: t.runAt, waitMs })
    }
  }
  reasons.push(...limitReasons(facts))
  const serving = dronesServing(t.type, drones, nowMs)
  if (serving.length === 0) {
    const live = drones.map((d) => viewDrone(d, nowMs)).filter((d) => d.live)
    const others = live.length === 0 ? 'no drone is live' : `${plural(live.length, 'live drone')} serve${live.length === 1 ? 's' : ''} other types`
    reasons.push({ code: 'no-drone', message: `no live drone serves type ${t.type} (${others})`, liveDrones: live.map((d) => d.name) })
  }
  if (waitMs <= 0 && facts.ahead > 0) {
    const capped = facts.ahead > WHY_AHEAD_CAP
    const count = capped ? `more than ${WHY_AHEAD_CAP.toLocaleString('en-US')} tasks` : plural(facts.ahead, 'task')
    reasons.push({
      code: 'tasks-ahead',
      message: `${count} of type ${t.type} ahead of it (higher priority, or the same priority and due earlier)`,
      ahead: Math.min(facts.ahead, WHY_AHEAD_CAP),
      capped,
    })
  }
  if (reasons.length === 0) {
    const names = serving.map((d) => d.name).join(', ')
    reasons.push({ code: 'next-in-line', message: `next in line for type ${t.type}: a drone serving it (${names}) claims it when it has room`, drones: serving.map((d) => d.name) })
  }
  return reasons
}

function limitReasons(facts: TaskWhyFacts): WhyReason[] {
  const s = facts.settings
  const t = facts.task
  if (!s) return []
  const out: WhyReason[] = []
  if (s.paused) out.push({ code: 'type-paused', message: `type ${t.type} is paused (\`swarmage resume ${t.type}\`)` })
  if (s.maxRunning !== null && facts.running >= s.maxRunning) {
    out.push(full('maxRunning', s.maxRunning, facts.running, `maxRunning ${s.maxRunning} of type ${t.type} is full: ${plural(facts.running, 'task')} running`))
  }
  if (s.rate !== null && facts.rateStarts !== null && facts.rateStarts >= parseRate(s.rate).n) {
    out.push(full('rate', s.rate, facts.rateStarts, `rate ${s.rate} of type ${t.type} is full: ${plural(facts.rateStarts, 'start')} in the window`))
  }
  if (t.group !== null && s.groupMaxRunning !== null && facts.groupRunning !== null && facts.groupRunning >= s.groupMaxRunning) {
    out.push({
      ...full('groupMaxRunning', s.groupMaxRunning, facts.groupRunning, `groupMaxRunning ${s.groupMaxRunning} of group ${t.group} is full: ${plural(facts.groupRunning, 'task')} running`),
      group: t.group,
    })
  }
  if (t.group !== null && s.groupRate !== null && facts.groupRateStarts !== null && facts.groupRateStarts >= parseRate(s.groupRate).n) {
    out.push({
      ...full('groupRate', s.groupRate, facts.groupRateStarts, `groupRate ${s.groupRate} of group ${t.group} is full: ${plural(facts.groupRateStarts, 'start')} in the window`),
      group: t.group,
    })
  }
  return out
}

function full(limit: string, value: number | string, holding: number, message: string): WhyReason {
  return { code: 'limit-full', message, limit, value, holding }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** "12.3 s", "4 min 5 s", "2 h 3 min": a countdown a person reads at a glance. */
export function secs(ms: number): string {
  const s = Math.max(0, ms) / 1000
  if (s < 59.5) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`
  // Whole seconds first, so 119.8 s reads "2 min 0 s", never "1 min 60 s".
  const whole = Math.round(s)
  const m = Math.floor(whole / 60)
  if (m < 60) return `${m} min ${whole - m * 60} s`
  const h = Math.floor(m / 60)
  return `${h} h ${m - h * 60} min`
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? ''
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}
