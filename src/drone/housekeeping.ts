import { hostname } from 'node:os'
import type { DroneContext } from './context.ts'
import { Periodic } from './service.ts'

/** Expired leases are rescued this long after expiry: room for a drone whose extension is just late. */
export const RESCUE_GRACE_MS = 2_000
const RESCUE_LIMIT = 1_000
/** Rescue period: a dead drone's tasks come back within leaseMs + RESCUE_GRACE_MS + this. */
const RESCUE_MAX_MS = 5_000
const MAINTENANCE_MS = 60_000
const MAINTENANCE_BATCH = 1_000

/** Registers the drone and refreshes its lastSeen and live details every leaseMs/3. */
export function heartbeatService(ctx: DroneContext, info: () => Record<string, unknown>): Periodic {
  return new Periodic({
    name: 'heartbeat',
    intervalMs: () => Math.max(100, Math.floor(ctx.settings.leaseMs / 3)),
    run: () => ctx.driver.droneUpsert({ drone: { id: ctx.id, name: ctx.name, host: hostName(), pid: process.pid, info: info() } }),
    onError: (err, name) => ctx.reportError(err, name),
    runOnStart: false,
  })
}

/** Puts tasks of dead drones (leases expired) back in the queue; kicks the pump when it did. */
export function rescueService(ctx: DroneContext, onRequeued: () => void): Periodic {
  return new Periodic({
    name: 'rescuer',
    intervalMs: () => Math.min(RESCUE_MAX_MS, Math.max(250, Math.floor(ctx.settings.leaseMs / 2))),
    run: async () => {
      const { requeued } = await ctx.driver.taskRescue({ graceMs: RESCUE_GRACE_MS, limit: RESCUE_LIMIT })
      if (requeued.length > 0) onRequeued()
    },
    onError: (err, name) => ctx.reportError(err, name),
  })
}

/** Pruning and forgetting silent drones; the queue lets one holder at a time do it. */
export function maintenanceService(ctx: DroneContext): Periodic {
  return new Periodic({
    name: 'maintenance',
    intervalMs: () => MAINTENANCE_MS,
    run: async () => {
      await ctx.driver.maintenanceRun({ holder: ctx.id, batchSize: MAINTENANCE_BATCH })
    },
    onError: (err, name) => ctx.reportError(err, name),
    runOnStart: false,
  })
}

export function hostName(): string {
  return hostname()
}
