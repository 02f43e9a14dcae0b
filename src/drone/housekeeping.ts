import { hostname } from 'node:os'
import type { GlobalQueueDriver } from '../queue/driver.ts'
import { MAINTENANCE_INTERVAL_MS, rescueExpired, runMaintenance, type MaintenanceDriver } from '../queue/maintenance.ts'
import { Periodic } from './service.ts'

/** Rescue period: a dead drone's tasks come back within leaseMs + RESCUE_GRACE_MS (src/queue/maintenance.ts) + this. */
const RESCUE_MAX_MS = 5_000

type OnError = (err: unknown, where: string) => void

/** Registers the drone and refreshes its lastSeen and live details every leaseMs/3. */
export function heartbeatService(p: {
  driver: Pick<GlobalQueueDriver, 'droneUpsert'>
  droneId: string
  /** Read at every beat: the name is settled when the local queue opens. */
  name: () => string
  leaseMs: number
  info: () => Record<string, unknown>
  onError: OnError
}): Periodic {
  return new Periodic({
    name: 'heartbeat',
    intervalMs: () => Math.max(100, Math.floor(p.leaseMs / 3)),
    run: () => p.driver.droneUpsert({ drone: { id: p.droneId, name: p.name(), host: hostName(), pid: process.pid, info: p.info() } }),
    onError: p.onError,
    runOnStart: false,
  })
}

/** Puts tasks of dead drones (leases expired) back in the queue; says so when it did. */
export function rescueService(p: { driver: Pick<GlobalQueueDriver, 'taskRescue'>; leaseMs: number; onRequeued: () => void; onError: OnError }): Periodic {
  return new Periodic({
    name: 'rescuer',
    intervalMs: () => Math.min(RESCUE_MAX_MS, Math.max(250, Math.floor(p.leaseMs / 2))),
    run: async () => {
      const { requeued } = await rescueExpired(p.driver)
      if (requeued.length > 0) p.onRequeued()
    },
    onError: p.onError,
  })
}

/** Pruning and forgetting silent drones (the policy: src/queue/maintenance.ts); one holder at a time. */
export function maintenanceService(p: { driver: MaintenanceDriver; droneId: string; onError: OnError }): Periodic {
  return new Periodic({
    name: 'maintenance',
    intervalMs: () => MAINTENANCE_INTERVAL_MS,
    run: async () => {
      await runMaintenance(p.driver, { holder: p.droneId })
    },
    onError: p.onError,
    runOnStart: false,
  })
}

export function hostName(): string {
  return hostname()
}
