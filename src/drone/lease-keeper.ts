import type { DroneChannel } from '../queue/drone-channel.ts'
import type { Ledger } from './ledger.ts'
import { Periodic, type Service } from './service.ts'

/** Leases per taskLeaseExtend call. */
const EXTEND_BATCH = 1000

export interface LeaseKeeperDeps {
  droneId: string
  extendLeases: DroneChannel['extendLeases']
  ledger: Ledger
  leaseMs: number
  onError: (err: unknown, where: string) => void
}

/**
 * Keeps the leases of every task in hand (buffered, dispatched, started, and done until its
 * completion is acknowledged) alive: every leaseMs/3, so two extensions may fail before a lease runs
 * out. A lost lease (expired, rescued, cancelled, deleted) drops the task (the ledger aborts it in its
 * worker; no outcome is sent, it would be refused by the fence anyway).
 */
export class LeaseKeeper implements Service {
  readonly name = 'lease keeper'
  private readonly periodic: Periodic
  lastExtendAt: number | null = null

  constructor(private readonly deps: LeaseKeeperDeps) {
    this.periodic = new Periodic({
      name: this.name,
      intervalMs: () => Math.max(100, Math.floor(deps.leaseMs / 3)),
      run: () => this.extend(),
      onError: deps.onError,
      runOnStart: false,
    })
  }

  start(): void {
    this.periodic.start()
  }

  stop(): Promise<void> {
    return this.periodic.stop()
  }

  async extend(): Promise<void> {
    const { ledger, extendLeases } = this.deps
    const tasks = ledger.list()
    for (let i = 0; i < tasks.length; i += EXTEND_BATCH) {
      // The lease sequences sent: a task completed and claimed again meanwhile has a new one and stays.
      const leases = tasks.slice(i, i + EXTEND_BATCH).map((t) => ({ id: t.id, leaseSeq: t.leaseSeq }))
      const sentAt = Date.now()
      const { lost } = await extendLeases({ droneId: this.deps.droneId, leases, leaseMs: this.deps.leaseMs })
      ledger.extended(leases, lost, sentAt)
    }
    this.lastExtendAt = Date.now()
  }
}
