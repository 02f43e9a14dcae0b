import { describe, expect, it } from 'vitest'
import type { ClaimedTask } from '../../../src/core/task.ts'
import { leaseExpiredMessage } from '../../../src/queue/maintenance.ts'
import { type Harness } from './harness.ts'

/** Leases: extension, loss, rescue, and claims racing between two driver instances. */
export function leaseCases(h: Harness): void {
  const SHORT = 40

  describe('leases', () => {
    it('extends a held lease and reports lost ones (wrong sequence, finished, unknown)', async () => {
      const [a, b] = await h.insertMany([{ type: 'l' }, { type: 'l' }])
      const cs = await h.claim('l', 2)
      const ca = cs.find((c) => c.id === a)!
      const cb = cs.find((c) => c.id === b)!
      const ext = (leases: Array<{ id: string; leaseSeq: number }>) => h.d.taskLeaseExtend({ droneId: 'drone-id-1', leases, leaseMs: 60_000 })
      expect(await ext([ca, cb])).toEqual({ lost: [] })
      expect(await ext([{ id: a!, leaseSeq: ca.leaseSeq + 1 }])).toEqual({ lost: [a] })
      await h.succeed(cb)
      const unknown = '00000000-0000-4000-8000-000000000010'
      expect((await ext([ca, cb, { id: unknown, leaseSeq: 1 }])).lost.sort()).toEqual([b, unknown].sort())
      expect(await ext([])).toEqual({ lost: [] })
    })

    it('does not extend an expired lease, and keeps one that is extended in time', async () => {
      const [gone, kept] = await h.insertMany([{ type: 'le' }, { type: 'le2' }])
      const cg = (await h.claim('le', 1, { leaseMs: SHORT }))[0]!
      const t0 = await h.dbNow() // after the claim: its lease started before this reading
      const ck = (await h.claim('le2', 1, { leaseMs: 60_000 }))[0]!
      await h.clockPast(t0, SHORT)
      const { lost } = await h.d.taskLeaseExtend({ droneId: 'drone-id-1', leases: [cg, ck], leaseMs: 60_000 })
      expect(lost).toEqual([gone])
      expect(await h.d.taskRescue({ graceMs: 0, limit: 10 })).toEqual({ requeued: [gone], failed: [] })
      expect(await h.state(kept!)).toBe('running')
    })

    it('rescues an expired lease: the attempt counts, the old holder is fenced out', async () => {
      const id = await h.insert('rs', { r: 1 }, { maxAttempts: 3 })
      const c = (await h.claim('rs', 1, { leaseMs: SHORT }))[0]!
      const t0 = await h.dbNow() // after the claim: its lease started before this reading
      expect(await h.d.taskRescue({ graceMs: 60_000, limit: 10 })).toEqual({ requeued: [], failed: [] })
      await h.clockPast(t0, SHORT)
      expect(await h.d.taskRescue({ graceMs: 60_000, limit: 10 })).toEqual({ requeued: [], failed: [] })
      expect(await h.state(id)).toBe('running')
      expect(await h.d.taskRescue({ graceMs: 0, limit: 10 })).toEqual({ requeued: [id], failed: [] })
      const task = (await h.d.taskGet({ id }))!
      expect(task).toMatchObject({ state: 'queued', attempts: 1, finishedAt: null })
      expect(task.error!.message).toBe(leaseExpiredMessage('drone-one', 1))
      expect(await h.succeed(c)).toEqual([id])
      const attempts = await h.d.taskAttemptList({ id })
      expect(attempts).toMatchObject([{ taskId: id, attempt: 1, outcome: 'lease-expired', drone: 'drone-one', error: { message: expect.stringMatching(/^lease expired/) } }])
      const again = await h.claimOne('rs')
      expect(again.attempt).toBe(2)
      expect(await h.succeed(c)).toEqual([id])
      expect(await h.succeed(again)).toEqual([])
      expect(await h.state(id)).toBe('succeeded')
    })

    it('fails a rescued task whose attempts are exhausted', async () => {
      const id = await h.insert('rx', {}, { maxAttempts: 1 })
      await h.claim('rx', 1, { leaseMs: SHORT })
      const t0 = await h.dbNow() // after the claim: its lease started before this reading
      await h.clockPast(t0, SHORT)
      expect(await h.d.taskRescue({ graceMs: 0, limit: 10 })).toEqual({ requeued: [], failed: [id] })
      const task = (await h.d.taskGet({ id }))!
      expect(task).toMatchObject({ state: 'failed', attempts: 1 })
      expect(task.error!.message).toMatch(/^lease expired/)
      expect(task.finishedAt).not.toBeNull()
      expect(await h.claim('rx')).toEqual([])
    })

    it('rescues at most `limit` tasks per call', async () => {
      await h.insertMany([...Array(5)].map(() => ({ type: 'rl' })))
      expect(await h.claim('rl', 5, { leaseMs: SHORT })).toHaveLength(5)
      const t0 = await h.dbNow() // after the claim: its lease started before this reading
      await h.clockPast(t0, SHORT)
      expect((await h.d.taskRescue({ graceMs: 0, limit: 3 })).requeued).toHaveLength(3)
      expect((await h.d.taskRescue({ graceMs: 0, limit: 3 })).requeued).toHaveLength(2)
      expect(await h.d.taskRescue({ graceMs: 0, limit: 3 })).toEqual({ requeued: [], failed: [] })
      expect(await h.d.taskCount({ type: 'rl', state: 'queued' })).toBe(5)
    })
  })

  describe('concurrency', () => {
    it('never hands the same task to two driver instances claiming at once', async () => {
      const n = 300
      const ids = await h.insertMany([...Array(n)].map((_, i) => ({ type: 'race', payload: i })))
      const peer = await h.peer()
      const drain = async (driver: typeof h.d, droneId: string): Promise<ClaimedTask[]> => {
        const got: ClaimedTask[] = []
        for (;;) {
          const batch = await h.claim('race', 7, { driver, droneId })
          if (batch.length === 0) return got
          got.push(...batch)
        }
      }
      const [mine, theirs, third] = await Promise.all([drain(h.d, 'one'), drain(peer, 'two'), drain(h.d, 'three')])
      const all = [...mine!, ...theirs!, ...third!].map((c) => c.id)
      expect(all).toHaveLength(n)
      expect(new Set(all).size).toBe(n)
      expect(new Set(all)).toEqual(new Set(ids))
      expect(theirs!.length).toBeGreaterThan(0)
      expect(await h.d.taskCount({ type: 'race', state: 'running' })).toBe(n)
    })
    it('lists the running tasks leased to one drone, soonest expiry first, with their count (taskListLeased)', async () => {
      const list = h.d.taskListLeased?.bind(h.d)
      // Optional for plug-in drivers; the built-in ones have it.
      if (!list) return
      const [a, b, c] = await h.insertMany([{ type: 'll' }, { type: 'll' }, { type: 'll' }])
      await h.claim('ll', 2, { leaseMs: 60_000 })
      const short = (await h.claim('ll', 1, { leaseMs: 20_000 }))[0]!
      expect(short.id).toBe(c)
      await h.insert('ll-other')
      await h.claim('ll-other', 1, { droneId: 'drone-id-2' })
      const r = await list({ droneId: 'drone-id-1', limit: 10 })
      expect(r.total).toBe(3)
      expect(r.tasks[0]).toMatchObject({ id: c, type: 'll', attempts: 1, maxAttempts: expect.any(Number) })
      expect(r.tasks.map((t) => t.id).sort()).toEqual([a, b, c].sort())
      const now = Date.parse(r.now)
      for (const t of r.tasks) expect(Date.parse(t.leaseExpiresAt)).toBeGreaterThan(now)
      expect(Date.parse(r.tasks[0]!.leaseExpiresAt)).toBeLessThanOrEqual(Date.parse(r.tasks[1]!.leaseExpiresAt))
      // The limit caps the rows, not the count; a finished task is no longer leased.
      await h.succeed(short)
      const capped = await list({ droneId: 'drone-id-1', limit: 1 })
      expect(capped.total).toBe(2)
      expect(capped.tasks).toHaveLength(1)
      expect(await list({ droneId: 'no-such-drone', limit: 10 })).toMatchObject({ total: 0, tasks: [] })
    })
  })
}
