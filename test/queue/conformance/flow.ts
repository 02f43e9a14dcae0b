import { describe, expect, it } from 'vitest'
import { EMPTY_TYPE_SETTINGS, type TypeSettings } from '../../../src/core/flow.ts'
import type { GlobalQueueDriver } from '../../../src/queue/driver.ts'
import { type Harness } from './harness.ts'

/** Flow control (CONTRACT.md "Flow control"): every setting, enforced by the claim itself. */
export function flowCases(h: Harness): void {
  const put = (type: string, s: Partial<TypeSettings>, d: GlobalQueueDriver = h.d) =>
    d.typeSettingsPut!({ type, settings: { ...EMPTY_TYPE_SETTINGS, ...s } })
  const ids = (cs: Array<{ id: string }>) => cs.map((c) => c.id).sort()

  describe('flow control', () => {
    it('stores a task group and settings; settings that hold nothing back are removed', async () => {
      const id = await h.insert('fg', {}, { group: 'tenant-1' })
      expect((await h.d.taskGet({ id }))!.group).toBe('tenant-1')
      expect((await h.d.taskGet({ id: await h.insert('fg') }))!.group).toBeNull()
      expect(await h.d.typeSettingsList!()).toEqual({})
      await put('fg', { maxRunning: 2, rate: '5/1s', groupRate: '1/1m' })
      expect(await h.d.typeSettingsList!()).toEqual({
        fg: { paused: false, maxRunning: 2, rate: '5/1s', groupMaxRunning: null, groupRate: '1/1m' },
      })
      await put('fg', {})
      expect(await h.d.typeSettingsList!()).toEqual({})
    })

    it('paused: nothing is claimed, tasks stay queued with no attempt used; a resume wakes and frees them', async () => {
      const [a, b] = await h.insertMany([{ type: 'fp' }, { type: 'fp' }])
      const other = await h.insert('fp-other')
      await put('fp', { paused: true })
      const claimed = await h.d.taskClaim({
        droneId: 'drone-id-1',
        droneName: 'drone-one',
        wants: [
          { type: 'fp', limit: 10 },
          { type: 'fp-other', limit: 10 },
        ],
        leaseMs: 60_000,
      })
      expect(ids(claimed)).toEqual([other])
      const task = (await h.d.taskGet({ id: a! }))!
      expect([task.state, task.attempts]).toEqual(['queued', 0])
      const rec = await h.record(await h.peer())
      // Wait registered before the resume: its signal can arrive before the put's reply is read.
      const woke = rec.next((s) => s.kind === 'tasks' && (s.types === undefined || s.types.includes('fp')))
      await put('fp', { paused: false })
      await woke
      expect(ids(await h.claim('fp'))).toEqual([a, b].sort())
    })

    it('maxRunning: counts running tasks across drones; finishing or a rescued lease frees a slot; lowering binds from the next claim', async () => {
      await h.insertMany(Array.from({ length: 6 }, () => ({ type: 'fm' })))
      await put('fm', { maxRunning: 3 })
      const first = await h.claim('fm', 2)
      expect(first).toHaveLength(2)
      const peer = await h.peer()
      expect(await h.claim('fm', 10, { driver: peer, droneId: 'drone-id-2' })).toHaveLength(1)
      expect(await h.claim('fm', 10)).toHaveLength(0)
      await h.succeed(first[0]!)
      const short = await h.claim('fm', 10, { leaseMs: 40 })
      expect(short).toHaveLength(1)
      // Lowered to 1 with 3 running: they all finish, nothing new starts until fewer than 1 run.
      await put('fm', { maxRunning: 1 })
      expect(await h.claim('fm', 10)).toHaveLength(0)
      expect(await h.succeed(first[1]!)).toEqual([])
      const t0 = await h.dbNow()
      await h.clockPast(t0, 40)
      expect((await h.d.taskRescue({ graceMs: 0, limit: 10 })).requeued).toEqual([short[0]!.id])
      expect(await h.claim('fm', 10)).toHaveLength(0) // the peer's task still runs
      await put('fm', { maxRunning: 2 })
      expect(await h.claim('fm', 10)).toHaveLength(1)
    })

    it('rate: at most N starts in any sliding window, not a fresh N at a boundary', async () => {
      await h.insertMany(Array.from({ length: 10 }, () => ({ type: 'fr' })))
      // A 2 s window, timed from after the starts: a 400 ms one timed from before them failed on a
      // loaded machine, where the claims themselves took long enough to move the window.
      await put('fr', { rate: '3/2s' })
      const t0 = await h.dbNow()
      expect(await h.claim('fr', 2)).toHaveLength(2)
      expect(await h.claim('fr', 10)).toHaveLength(1)
      expect(await h.claim('fr', 10)).toHaveLength(0)
      expect(await h.claim('fr', 10)).toHaveLength(0) // still inside the window of the first starts
      const tStarts = await h.dbNow()
      await h.clockPast(tStarts, 2_050)
      // The window moved past the three starts: three more, whatever the wall clock's second says.
      const again = await h.claim('fr', 10)
      expect(again).toHaveLength(3)
      expect(await h.claim('fr', 10)).toHaveLength(0)
      expect(tStarts).toBeGreaterThanOrEqual(t0)
    })

    it('groupMaxRunning: at most N running per group; ungrouped tasks are not group-limited; full groups do not hide others', async () => {
      await h.insertMany([
        ...Array.from({ length: 5 }, () => ({ type: 'fgm', options: { group: 'a', priority: 9 } })),
        ...Array.from({ length: 2 }, () => ({ type: 'fgm', options: { group: 'b' } })),
        { type: 'fgm', options: { group: 'c' } },
        { type: 'fgm' },
      ])
      await put('fgm', { groupMaxRunning: 1 })
      const first = await h.claim('fgm', 10)
      const groups = await Promise.all(first.map(async (c) => (await h.d.taskGet({ id: c.id }))!.group))
      expect(groups.sort()).toEqual(['a', 'b', 'c', null].sort())
      expect(await h.claim('fgm', 10)).toHaveLength(0)
      const a = first[groups.indexOf('a')]!
      await h.succeed(a)
      const next = await h.claim('fgm', 10)
      expect(next).toHaveLength(1)
      expect((await h.d.taskGet({ id: next[0]!.id }))!.group).toBe('a')
    })

    it('groupMaxRunning: a full group ahead of more tasks than the first pass reads does not hide the groups behind it', async () => {
      // 100 tasks of a full group first in claim order: more than the first pass scans (groupPassRows),
      // so only the window over the whole backlog can find the two groups behind them.
      await h.insertMany([
        ...Array.from({ length: 100 }, () => ({ type: 'fgd', options: { group: 'big', priority: 5 } })),
        { type: 'fgd', options: { group: 'small' } },
        { type: 'fgd', options: { group: 'tiny' } },
      ])
      await put('fgd', { groupMaxRunning: 1 })
      const first = await h.claim('fgd', 1)
      expect((await h.d.taskGet({ id: first[0]!.id }))!.group).toBe('big')
      const rest = await h.claim('fgd', 10)
      const groups = await Promise.all(rest.map(async (c) => (await h.d.taskGet({ id: c.id }))!.group))
      expect(groups.sort()).toEqual(['small', 'tiny'])
      expect(await h.claim('fgd', 10)).toHaveLength(0)
    })

    it('groupRate: at most N starts per group in the window; maxRunning and groups together', async () => {
      await h.insertMany([
        ...Array.from({ length: 4 }, () => ({ type: 'fgr', options: { group: 'x' } })),
        ...Array.from({ length: 4 }, () => ({ type: 'fgr', options: { group: 'y' } })),
      ])
      await put('fgr', { groupRate: '2/300ms', maxRunning: 3 })
      const first = await h.claim('fgr', 10)
      expect(first).toHaveLength(3)
      for (const c of first) await h.succeed(c)
      const last = await h.claim('fgr', 10)
      expect(last).toHaveLength(1) // the group with one start left
      expect(await h.claim('fgr', 10)).toHaveLength(0)
      await h.succeed(last[0]!)
      await h.clockPast(await h.dbNow(), 320)
      expect(await h.claim('fgr', 10)).toHaveLength(3)
    })
  })
}
