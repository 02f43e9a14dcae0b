/**
 * Reading a drone's registry row (`queue.drones`): the one record of a drone's state, written by the
 * drone on every state change and heartbeat (issue 16). Cluster shows it; Start-a-drone asks it which
 * types other live drones already serve.
 */
import type { DroneInfo } from '../../../queue/driver.ts'

/** A drone silent longer than this is not live (heartbeats come every leaseMs / 3, 10 s by default). */
export const STALE_MS = 30_000

export interface DroneRecordInfo {
  state?: string
  signals?: string
  inHand?: number
  types: string[]
}

/** `info` is free-form (a plug-in drone may send anything); these are the keys the built-in drone sends. */
export function readInfo(info: Record<string, unknown>): DroneRecordInfo {
  const out: DroneRecordInfo = { types: [] }
  if (typeof info.state === 'string') out.state = info.state
  if (typeof info.signals === 'string') out.signals = info.signals
  const leases = info.leases as { held?: unknown } | undefined
  if (typeof leases?.held === 'number') out.inHand = leases.held
  else if (typeof info.inHand === 'number') out.inHand = info.inHand
  if (Array.isArray(info.types)) {
    for (const t of info.types as unknown[]) {
      const type = typeof t === 'string' ? t : (t as { type?: unknown } | null)?.type
      if (typeof type === 'string') out.types.push(type)
    }
  }
  return out
}

export function isLive(d: DroneInfo, now = Date.now()): boolean {
  const state = readInfo(d.info).state
  return now - new Date(d.lastSeen).getTime() <= STALE_MS && state !== 'stopped' && state !== 'failed'
}

/** Task type → names of the live drones serving it. */
export function servedTypes(drones: DroneInfo[], now = Date.now()): Map<string, string[]> {
  const served = new Map<string, string[]>()
  for (const d of drones) {
    if (!isLive(d, now)) continue
    for (const type of readInfo(d.info).types) {
      const names = served.get(type) ?? []
      names.push(d.name)
      served.set(type, names)
    }
  }
  return served
}
