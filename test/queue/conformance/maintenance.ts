import { describe, expect, it } from 'vitest'
import { FINAL_STATES, TASK_STATES, TRANSITIONS, isFinal, type TaskState } from '../../../src/core/task.ts'
import { MAINTENANCE_MAX_BATCHES, runMaintenance } from '../../../src/queue/maintenance.ts'
import { type Harness } from './harness.ts'

/**
 * The maintenance primitives one by one (lease, prune one batch, forget drones), then the one policy
 * layer above them (src/queue/maintenance.ts) running on this driver.
 */
export function maintenanceCases(h: Harness): void {
  describe('maintenance primitives', () => {
    it('maintenanceLeaseTake: one holder at a time; the holder renews; an expired lease passes on', async () => {
      const peer = await h.peer()
      expect(await h.d.maintenanceLeaseTake({ holder: 'a', leaseMs: 60_000 })).toBe(true)
      expect(await peer.maintenanceLeaseTake({ holder: 'b', leaseMs: 60_000 })).toBe(false)
      expect(await peer.maintenanceLeaseTake({ holder: 'a', leaseMs: 60_000 })).toBe(true)
      // Renewed short by its holder: once it runs out (database clock) the next asker has it.
      expect(await h.d.maintenanceLeaseTake({ holder: 'a', leaseMs: 30 })).toBe(true)
      const t0 = await h.dbNow()
      expect(await peer.maintenanceLeaseTake({ holder: 'b', leaseMs: 60_000 })).toBe(false)
      await h.clockPast(t0, 30)
      expect(await peer.maintenanceLeaseTake({ holder: 'b', leaseMs: 60_000 })).toBe(true)
      expect(await h.d.maintenanceLeaseTake({ holder: 'a', leaseMs: 60_000 })).toBe(false)
    })

    it('the final states are those no automatic transition leaves (only a manual retry does): what pruning may delete', () => {
      const automatic = Object.entries(TRANSITIONS).filter(([name]) => name !== 'manualRetry')
      for (const state of TASK_STATES) {
        const left = automatic.some(([, t]) => t.from.includes(state))
        expect(isFinal(state), state).toBe(!left)
      }
    })

    it('taskPrune: one batch of tasks in final states past the retention, with logs and attempts; never a live one', async () => {
      const ids: Record<TaskState, string> = {
        queued: await h.insert('pr-q'),
        running: await h.insert('pr-r'),
        succeeded: await h.insert('pr-s'),
        failed: await h.insert('pr-f', {}, { maxAttempts: 1 }),
        cancelled: await h.insert('pr-c'),
      }
      await h.claimOne('pr-r')
      await h.succeed(await h.claimOne('pr-s'))
      await h.fail(await h.claimOne('pr-f'), null)
      await h.d.taskCancel({ id: ids.cancelled })
      await h.d.taskLogInsertMany({ logs: Object.values(ids).map((taskId) => ({ taskId, attempt: 1, level: 'info' as const, message: 'x', at: new Date().toISOString() })) })
      for (const state of TASK_STATES) expect(await h.state(ids[state]), state).toBe(state)

      expect(await h.d.taskPrune({ retentionMs: 3_600_000, limit: 10 })).toBe(0)
      const finishes = await Promise.all(FINAL_STATES.map(async (s) => Date.parse((await h.d.taskGet({ id: ids[s] }))!.finishedAt!)))
      await h.clockPast(Math.max(...finishes), 2)
      expect(await h.d.taskPrune({ retentionMs: 0, limit: 2 })).toBe(2)
      expect(await h.d.taskPrune({ retentionMs: 0, limit: 2 })).toBe(1)
      expect(await h.d.taskPrune({ retentionMs: 0, limit: 2 })).toBe(0)
      for (const state of TASK_STATES) {
        const id = ids[state]
        if (isFinal(state)) {
          expect(await h.d.taskGet({ id }), state).toBeNull()
          expect(await h.d.taskLogList({ id })).toEqual([])
          expect(await h.d.taskAttemptList({ id })).toEqual([])
        } else {
          expect(await h.state(id), state).toBe(state)
          expect(await h.d.taskLogList({ id })).toHaveLength(1)
        }
      }
    })

    it('droneForget: forgets drones silent for longer than silentMs, keeps the others', async () => {
      await h.d.droneUpsert({ drone: { id: 'old', name: 'old', host: 'h', pid: 1 } })
      const seen = Date.parse((await h.d.droneList())[0]!.lastSeen)
      await h.clockPast(seen, 300)
      await h.d.droneUpsert({ drone: { id: 'new', name: 'new', host: 'h', pid: 2 } })
      await h.d.droneForget({ silentMs: 3_600_000 })
      expect((await h.d.droneList()).map((d) => d.id).sort()).toEqual(['new', 'old'])
      await h.d.droneForget({ silentMs: 200 })
      expect((await h.d.droneList()).map((d) => d.id)).toEqual(['new'])
    })
  })

  describe('maintenance policy (src/queue/maintenance.ts) on this driver', () => {
    it('runs for one holder at a time', async () => {
      const peer = await h.peer()
      expect(await runMaintenance(h.d, { holder: 'drone-a', batchSize: 100 })).toEqual({ pruned: 0 })
      expect(await runMaintenance(peer, { holder: 'drone-b', batchSize: 100 })).toBeNull()
      expect(await runMaintenance(h.d, { holder: 'drone-b', batchSize: 100 })).toBeNull()
      expect(await runMaintenance(peer, { holder: 'drone-a', batchSize: 100 })).toEqual({ pruned: 0 })
    })

    it('bounds one pass to MAINTENANCE_MAX_BATCHES batches; the next pass goes on', async () => {
      const ids = await h.insertMany([...Array(MAINTENANCE_MAX_BATCHES + 2)].map((_, i) => ({ type: 'mb', payload: i })))
      for (const id of ids) await h.d.taskCancel({ id })
      await h.d.settingsSet({ retentionMs: 0 })
      const lastFinish = Date.parse((await h.d.taskGet({ id: ids.at(-1)! }))!.finishedAt!)
      await h.clockPast(lastFinish, 2)
      expect(await runMaintenance(h.d, { holder: 'mb', batchSize: 1 })).toEqual({ pruned: MAINTENANCE_MAX_BATCHES })
      expect(await runMaintenance(h.d, { holder: 'mb', batchSize: 1 })).toEqual({ pruned: 2 })
      expect(await h.d.taskCount({ type: 'mb' })).toBe(0)
    })

    it('prunes with the stored retention: nothing while it holds, everything finished once it passed', async () => {
      const ids = await h.insertMany([...Array(6)].map((_, i) => ({ type: 'mt', payload: i })))
      const cs = await h.claim('mt', 4)
      await h.succeed(cs[0]!)
      await h.succeed(cs[1]!)
      await h.fail(cs[2]!, null)
      const queued = ids.filter((id) => !cs.some((c) => c.id === id))
      await h.d.taskCancel({ id: queued[0]! })
      const finished = [cs[0]!.id, cs[1]!.id, cs[2]!.id, queued[0]!]

      expect(await runMaintenance(h.d, { holder: 'm', batchSize: 2 })).toEqual({ pruned: 0 })
      expect(await h.d.taskCount({})).toBe(6)

      expect(await h.d.settingsSet({ retentionMs: 0 })).toEqual({ retentionMs: 0 })
      const lastFinish = Math.max(...(await Promise.all(finished.map(async (id) => Date.parse((await h.d.taskGet({ id }))!.finishedAt!)))))
      await h.clockPast(lastFinish, 2)
      expect(await runMaintenance(h.d, { holder: 'm', batchSize: 3 })).toEqual({ pruned: 4 })
      for (const id of finished) expect(await h.d.taskGet({ id })).toBeNull()
      expect(await h.state(cs[3]!.id)).toBe('running')
      expect(await h.state(queued[1]!)).toBe('queued')
      expect(await runMaintenance(h.d, { holder: 'm', batchSize: 3 })).toEqual({ pruned: 0 })
    })
  })
}
