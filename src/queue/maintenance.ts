import { InputError } from '../core/errors.ts'
import type { GlobalQueueDriver } from './driver.ts'

/**
 * The maintenance policy every driver shares (issue #13 item 3): drivers expose one-step primitives
 * (take the maintenance lease, prune one batch, forget silent drones, rescue one batch of expired
 * leases) and this layer holds the loops, their bounds and the timings, once. A plug-in driver gets
 * the same behaviour by implementing the primitives; the conformance suite checks them one by one
 * (test/queue/conformance/admin.ts, leases.ts) and this layer on every backend.
 */

/** How often each drone tries a maintenance pass (only the lease holder runs it). */
export const MAINTENANCE_INTERVAL_MS = 60_000
/** One drone at a time prunes (the maintenance lease row); a holder that died frees it after this long. */
export const MAINTENANCE_LEASE_MS = 60_000
/** Bounds one maintenance pass (batches × batchSize rows); the rest waits for the next pass. */
export const MAINTENANCE_MAX_BATCHES = 100
/** Rows per prune batch: each batch is one short transaction, so pruning never holds many row locks. */
export const MAINTENANCE_BATCH = 1_000
/** Drones silent this long are forgotten (their rows only feed `stats` and the console's Drones view). */
export const DRONE_FORGET_MS = 24 * 3600_000

/** Expired leases are rescued this long after expiry: room for a drone whose extension is just late. */
export const RESCUE_GRACE_MS = 2_000
/** Tasks one rescue pass takes back; a bigger backlog goes on at the next pass (a few seconds later). */
export const RESCUE_LIMIT = 1_000

/**
 * The error an expired lease leaves on its task and attempt, as a `format()` template (PostgreSQL's
 * format and leaseExpiredMessage below read the same `%s` slots: drone, attempt), so both backends word
 * it alike and the words live here only.
 */
export const LEASE_EXPIRED_FORMAT = 'lease expired: drone %s stopped renewing it (attempt %s)'

export function leaseExpiredMessage(drone: string | null, attempt: number): string {
  const args = [drone ?? '(unknown)', String(attempt)]
  return LEASE_EXPIRED_FORMAT.replace(/%s/g, () => args.shift() ?? '')
}

/**
 * The longest retention: 1,000 years. PostgreSQL's prune computes now() − retention, and a timestamp
 * before 4713 BC is out of range there (9,007,199,254,740,991 ms failed every maintenance pass).
 */
export const RETENTION_MAX_MS = 1000 * 365 * 24 * 3600_000

/** The retention rule, checked once at the door (Queue.setSettings) for every driver. */
export function assertRetentionMs(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > RETENTION_MAX_MS) {
    throw new InputError(`retentionMs must be a whole number of milliseconds from 0 to ${RETENTION_MAX_MS} (1,000 years); got ${String(value)}`)
  }
}

export type MaintenanceDriver = Pick<GlobalQueueDriver, 'maintenanceLeaseTake' | 'taskPrune' | 'droneForget' | 'settingsGet'>

/**
 * One maintenance pass if no other process holds the maintenance lease: prunes finished tasks older
 * than the retention in at most MAINTENANCE_MAX_BATCHES batches, then forgets drones silent for
 * DRONE_FORGET_MS. Null when another holder has the lease.
 */
export async function runMaintenance(driver: MaintenanceDriver, params: { holder: string; batchSize?: number }): Promise<{ pruned: number } | null> {
  const limit = Math.max(1, Math.floor(params.batchSize ?? MAINTENANCE_BATCH))
  if (!(await driver.maintenanceLeaseTake({ holder: params.holder, leaseMs: MAINTENANCE_LEASE_MS }))) return null
  const { retentionMs } = await driver.settingsGet()
  let pruned = 0
  // Bounded: a huge backlog (a retention just shortened) must not hold the drone's loop for minutes.
  for (let batch = 0; batch < MAINTENANCE_MAX_BATCHES; batch++) {
    const n = await driver.taskPrune({ retentionMs, limit })
    pruned += n
    if (n < limit) break
  }
  await driver.droneForget({ silentMs: DRONE_FORGET_MS })
  return { pruned }
}

/** One rescue pass: expired leases (past RESCUE_GRACE_MS) back to the queue, or failed when out of attempts. */
export function rescueExpired(driver: Pick<GlobalQueueDriver, 'taskRescue'>): Promise<{ requeued: string[]; failed: string[] }> {
  return driver.taskRescue({ graceMs: RESCUE_GRACE_MS, limit: RESCUE_LIMIT })
}
