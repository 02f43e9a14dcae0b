import { SchemaError } from '../core/errors.ts'
import type { GlobalQueueDriver } from './driver.ts'
import { rescueExpired, runMaintenance } from './maintenance.ts'

/**
 * What a drone may do to the global queue, and nothing more (Queue.droneChannel()): its parts each
 * take the one or two members they use (the loop `claim`, the completer `complete` and `insertLogs`,
 * …), so no part of the drone reaches past Queue to the driver. The hot members are the driver's
 * methods bound once when the channel is made: a claim or a completion costs what a direct driver
 * call costs (no wrapper, no extra await per task or per batch).
 */
export interface DroneChannel {
  /** Claims tasks for the drone (driver taskClaim; fenced, flow control applied by the driver). */
  claim: GlobalQueueDriver['taskClaim']
  /** Records outcomes; refused ids lost their lease (driver taskComplete). */
  complete: GlobalQueueDriver['taskComplete']
  insertLogs: GlobalQueueDriver['taskLogInsertMany']
  extendLeases: GlobalQueueDriver['taskLeaseExtend']
  /** Registers the drone or refreshes its row (the heartbeat). */
  register: GlobalQueueDriver['droneUpsert']
  unregister: GlobalQueueDriver['droneRemove']
  subscribe: GlobalQueueDriver['signalSubscribe']
  /**
   * Checks the schema and migrates only when the check fails: a drone running under a
   * least-privilege role (no DDL rights, docs/reliability.md#security) must start on a schema its
   * owner already migrated.
   */
  ensureSchema(): Promise<void>
  /** Puts back tasks whose leases expired (src/queue/maintenance.ts holds the grace and batch). */
  rescue(): Promise<{ requeued: string[]; failed: string[] }>
  /** One maintenance pass under the maintenance lease (src/queue/maintenance.ts); null when another holds it. */
  maintain(holder: string): Promise<{ pruned: number } | null>
}

export function droneChannel(driver: GlobalQueueDriver, migrate: () => Promise<unknown>): DroneChannel {
  return {
    claim: driver.taskClaim.bind(driver),
    complete: driver.taskComplete.bind(driver),
    insertLogs: driver.taskLogInsertMany.bind(driver),
    extendLeases: driver.taskLeaseExtend.bind(driver),
    register: driver.droneUpsert.bind(driver),
    unregister: driver.droneRemove.bind(driver),
    subscribe: driver.signalSubscribe.bind(driver),
    ensureSchema: async () => {
      await driver.schemaCheck().catch(async (err: unknown) => {
        if (!(err instanceof SchemaError)) throw err
        await migrate()
      })
    },
    rescue: () => rescueExpired(driver),
    maintain: (holder) => runMaintenance(driver, { holder }),
  }
}
