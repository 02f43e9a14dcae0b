/**
 * "What a drone holds" for the Drones view. Two sources, because the console sees drones two ways:
 *
 * - a drone this console runs: its ledger (Drone.holdings()), every task in hand — buffered,
 *   dispatched, running, finishing — with worker process and pid and lease expiry; and "hand back"
 *   for a buffered task (Drone.handBack → Ledger.giveBack: stored, sent fenced, retried);
 * - any drone, seen through the global queue (another machine, another console): only what the
 *   queue knows, its running tasks and their leases (GlobalQueueDriver.taskListLeased). Its buffer
 *   lives in that drone's local queue, which only a console running the drone can read.
 *
 * A drone can hold thousands of tasks: both views give counts of everything and the first `limit`
 * rows (running first). Times come with the clock they were read on (`at`), so a client counts lease
 * expiry down from `leaseExpiresAt - at` on its own clock, whatever the skew between machines.
 */
import { InputError } from '../core/errors.ts'
import type { DroneState } from '../core/events.ts'
import type { Holding } from '../drone/drone.ts'
import type { Queue } from '../queue/queue.ts'

/** The part of the engine's Drone these views use (src/api/engine.ts's EngineDrone has it). */
export interface HoldingsDrone {
  holdings(): Holding[]
  handBack(taskId: string): boolean
  readonly state: DroneState
}

export type HoldingState = Holding['state']
export const HOLDING_STATES: readonly HoldingState[] = ['running', 'dispatched', 'buffered', 'finishing']

export interface DroneHoldingsView {
  source: 'local'
  droneId: string
  name: string
  /** the drone's clock when read, ms since epoch (leaseExpiresAt and startedAt are on it) */
  at: number
  /** every task in hand, by state */
  counts: Record<HoldingState, number>
  total: number
  /** the first `limit` tasks: running, then dispatched, buffered, finishing; claim order within each */
  tasks: Holding[]
  limit: number
}

export interface LeasedHoldingsView {
  source: 'global'
  droneId: string
  /** the database clock when read, ms since epoch */
  at: number
  /** running tasks leased to the drone */
  total: number
  /** the first `limit`, soonest lease expiry first; times ms since epoch, database clock */
  tasks: Array<{ id: string; type: string; attempts: number; maxAttempts: number; startedAt: number | null; leaseExpiresAt: number }>
  limit: number
}

export const DEFAULT_HOLDINGS_LIMIT = 200

export function droneHoldings(entry: { id: string; name: string; drone: HoldingsDrone }, limit: number): DroneHoldingsView {
  const all = entry.drone.holdings()
  const at = Date.now()
  const counts: Record<HoldingState, number> = { running: 0, dispatched: 0, buffered: 0, finishing: 0 }
  for (const h of all) counts[h.state]++
  // One pass per state keeps claim order within a state without sorting thousands of rows.
  const tasks: Holding[] = []
  for (const state of HOLDING_STATES) {
    for (const h of all) {
      if (tasks.length >= limit) break
      if (h.state === state) tasks.push(h)
    }
  }
  return { source: 'local', droneId: entry.id, name: entry.name, at, counts, total: all.length, tasks, limit }
}

export async function leasedHoldings(queue: Queue, droneId: string, limit: number): Promise<LeasedHoldingsView> {
  const r = await queue.leased(droneId, limit)
  return {
    source: 'global',
    droneId,
    at: Date.parse(r.now),
    total: r.total,
    tasks: r.tasks.map((t) => ({
      id: t.id,
      type: t.type,
      attempts: t.attempts,
      maxAttempts: t.maxAttempts,
      startedAt: t.startedAt === null ? null : Date.parse(t.startedAt),
      leaseExpiresAt: Date.parse(t.leaseExpiresAt),
    })),
    limit,
  }
}

/** Hands a buffered task back; a task not held, or held past buffered, is refused with the reason. */
export function handBack(entry: { name: string; drone: HoldingsDrone }, taskId: string): { handedBack: true } {
  const state = entry.drone.state
  if (state !== 'running') throw new InputError(`drone ${entry.name} is ${state}: only a running drone hands tasks back (a draining one hands its buffer back by itself)`)
  if (entry.drone.handBack(taskId)) return { handedBack: true }
  const held = entry.drone.holdings().find((h) => h.id === taskId)
  if (!held) throw new InputError(`drone ${entry.name} does not hold task ${taskId}`)
  throw new InputError(`task ${taskId} is ${held.state} in drone ${entry.name}: only a buffered task can be handed back (a worker process has it)`)
}
