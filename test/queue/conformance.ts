import { afterEach, beforeEach, describe } from 'vitest'
import { adminCases } from './conformance/admin.ts'
import { Harness, type ConformanceTarget } from './conformance/harness.ts'
import { flowCases } from './conformance/flow.ts'
import { leaseCases } from './conformance/leases.ts'
import { lifecycleCases } from './conformance/lifecycle.ts'
import { listingCases } from './conformance/listing.ts'
import { maintenanceCases } from './conformance/maintenance.ts'
import { transitionCases } from './conformance/transitions.ts'

/**
 * The driver conformance suite (after River's riverdrivertest): every GlobalQueueDriver passes the
 * same cases, written against the interface only (no SQL), so backends agree on every transition.
 *
 * `open()` is called before each case and must return a driver on a fresh, isolated queue (its own
 * SQLite file, its own PostgreSQL schema), not yet migrated: the suite runs schemaMigrate itself.
 * `peer()` opens ANOTHER driver instance on that same queue (as a second drone process would); the
 * suite closes peers itself. `cleanup()` removes the queue after the driver and peers are closed.
 */
export type { ConformanceTarget }

export function driverConformance(name: string, open: () => Promise<ConformanceTarget>): void {
  describe(`driver conformance: ${name}`, () => {
    const h = new Harness()
    beforeEach(async () => {
      const target = await open()
      h.reset(target)
      await target.driver.schemaMigrate()
    })
    afterEach(async () => {
      await h.teardown()
    })
    lifecycleCases(h)
    leaseCases(h)
    listingCases(h)
    adminCases(h)
    flowCases(h)
    maintenanceCases(h)
    transitionCases(h)
  })
}

