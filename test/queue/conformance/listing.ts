import { describe, expect, it } from 'vitest'
import type { Task } from '../../../src/core/task.ts'
import { TASK_STATES } from '../../../src/core/task.ts'
import type { TaskLog } from '../../../src/queue/driver.ts'
import { ISO_RE, type Harness } from './harness.ts'

/** Reads: logs, attempts, children, list paging and filters, counts, stats. */
export function listingCases(h: Harness): void {
  describe('logs and attempts', () => {
    it('keeps logs in order with their data; a limit keeps the latest, oldest first', async () => {
      const [id, other] = await h.insertMany([{ type: 'lg' }, { type: 'lg' }])
      const t = Date.now()
      const logs: TaskLog[] = [
        { taskId: id!, attempt: 1, level: 'debug', message: 'one', at: new Date(t).toISOString() },
        { taskId: id!, attempt: 1, level: 'info', message: 'two', data: { n: 2, list: ['a'] }, at: new Date(t + 1).toISOString() },
        { taskId: other!, attempt: 1, level: 'info', message: 'elsewhere', at: new Date(t + 1).toISOString() },
        { taskId: id!, attempt: 2, level: 'warn', message: 'three', data: 'text', at: new Date(t + 2).toISOString() },
      ]
      await h.d.taskLogInsertMany({ logs: logs.slice(0, 3) })
      await h.d.taskLogInsertMany({ logs: logs.slice(3) })
      const err: TaskLog = { taskId: id!, attempt: 2, level: 'warn', stream: 'stderr', message: 'four', at: new Date(t + 3).toISOString() }
      await h.d.taskLogInsertMany({ logs: [err] })
      const got = await h.d.taskLogList({ id: id! })
      expect(got.map((l) => l.message)).toEqual(['one', 'two', 'three', 'four'])
      // A line given no stream is a ctx.log line (CONTRACT.md "Debugging"); captured output keeps its own.
      expect(got[0]).toEqual({ ...logs[0], stream: 'log' })
      expect(got[1]).toEqual({ ...logs[1], stream: 'log' })
      expect(got[2]).toEqual({ ...logs[3], stream: 'log' })
      expect(got[3]).toEqual(err)
      expect((await h.d.taskLogList({ id: id!, limit: 2 })).map((l) => l.message)).toEqual(['three', 'four'])
      expect((await h.d.taskLogList({ id: other! })).map((l) => l.message)).toEqual(['elsewhere'])
      await h.d.taskLogInsertMany({ logs: [] })
    })

    it('lists the attempt history of a task in order', async () => {
      const id = await h.insert('ah', {}, { maxAttempts: 5 })
      await h.fail(await h.claimOne('ah'), 0, 'e1')
      await h.complete(await h.claimOne('ah'), { kind: 'handback' })
      await h.complete(await h.claimOne('ah'), { kind: 'succeeded', resultJson: '7' }, { workerPid: 99 })
      const attempts = await h.d.taskAttemptList({ id })
      expect(attempts.map((a) => [a.attempt, a.outcome, a.error?.message ?? null])).toEqual([
        [1, 'retried', 'e1'],
        [2, 'handed-back', null],
        [2, 'succeeded', null],
      ])
      expect(attempts[2]).toMatchObject({ taskId: id, drone: 'drone-one', workerPid: 99, finishedAt: expect.stringMatching(ISO_RE) })
      expect(await h.d.taskAttemptList({ id: '00000000-0000-4000-8000-000000000020' })).toEqual([])
    })

    it('lists the children (postbacks) of a task', async () => {
      const parent = await h.insert('parent')
      const kids = await h.insertMany([{ type: 'kid', options: { parentId: parent } }, { type: 'kid2', options: { parentId: parent } }])
      await h.insert('unrelated')
      expect((await h.d.taskChildren({ id: parent })).sort()).toEqual([...kids].sort())
      expect(await h.d.taskChildren({ id: kids[0]! })).toEqual([])
    })
  })

  describe('list and count', () => {
    it('pages newest first with a keyset cursor, every task exactly once', async () => {
      const ids: string[] = []
      for (let i = 0; i < 12; i++) ids.push(...(await h.insertMany([{ type: 'pg', payload: i }, { type: 'pg', payload: i }])))
      const seen: Task[] = []
      let before: { createdAt: string; id: string } | undefined
      for (let page = 0; page < 10; page++) {
        const rows = await h.d.taskList(before ? { limit: 5, before } : { limit: 5 })
        expect(rows.length).toBeLessThanOrEqual(5)
        if (rows.length === 0) break
        seen.push(...rows)
        const last = rows[rows.length - 1]!
        before = { createdAt: last.createdAt, id: last.id }
      }
      expect(seen.map((t) => t.id).sort()).toEqual([...ids].sort())
      for (let i = 1; i < seen.length; i++) expect(seen[i - 1]!.createdAt >= seen[i]!.createdAt).toBe(true)
      // Newest first: the last inserted pair comes before the first inserted pair.
      const pos = (id: string) => seen.findIndex((t) => t.id === id)
      expect(Math.max(pos(ids[22]!), pos(ids[23]!))).toBeLessThan(Math.min(pos(ids[0]!), pos(ids[1]!)))
      expect((await h.d.taskList({ limit: 3 })).length).toBe(3)
    })

    it('filters by state, type, parentId and searches payload and error text', async () => {
      const parent = await h.insert('fp', { note: 'the parent' })
      const [a, b, c] = await h.insertMany([
        { type: 'fa', payload: { note: 'Find The NEEDLE here' } },
        { type: 'fb', payload: { note: '50% off' }, options: { parentId: parent } },
        { type: 'fb', payload: { note: '500 off' }, options: { parentId: parent } },
      ])
      await h.fail((await h.claim('fa'))[0]!, null, 'Disk Quota exceeded')
      const ids = async (p: Parameters<typeof h.d.taskList>[0]) => (await h.d.taskList(p)).map((t) => t.id).sort()
      expect(await ids({ limit: 50, state: 'failed' })).toEqual([a])
      expect(await ids({ limit: 50, type: 'fb' })).toEqual([b, c].sort())
      expect(await ids({ limit: 50, parentId: parent })).toEqual([b, c].sort())
      expect(await ids({ limit: 50, type: 'fb', state: 'queued', parentId: parent })).toEqual([b, c].sort())
      expect(await ids({ limit: 50, search: 'needle' })).toEqual([a])
      expect(await ids({ limit: 50, search: 'quota EXCEEDED' })).toEqual([a])
      expect(await ids({ limit: 50, search: '50%' })).toEqual([b])
      expect(await ids({ limit: 50, search: '5_0' })).toEqual([])
      expect(await ids({ limit: 50, search: 'off', type: 'fb' })).toEqual([b, c].sort())
      expect(await ids({ limit: 50, state: 'succeeded' })).toEqual([])
      expect(await ids({ limit: 1, type: 'fb' })).toHaveLength(1)
    })

    it('counts with the same filters, capped when asked', async () => {
      await h.insertMany([...Array(7)].map((_, i) => ({ type: i < 4 ? 'ca' : 'cb', payload: { word: i % 2 ? 'odd' : 'even' } })))
      expect(await h.d.taskCount({})).toBe(7)
      expect(await h.d.taskCount({ type: 'ca' })).toBe(4)
      expect(await h.d.taskCount({ state: 'queued', type: 'cb' })).toBe(3)
      expect(await h.d.taskCount({ search: 'ODD' })).toBe(3)
      expect(await h.d.taskCount({ state: 'running' })).toBe(0)
      expect(await h.d.taskCount({ cap: 5 })).toBe(5)
      expect(await h.d.taskCount({ type: 'ca', cap: 100 })).toBe(4)
    })
  })

  describe('stats', () => {
    it('counts every type in all five states, and lists drones', async () => {
      expect(await h.d.statsGet()).toEqual({ types: {}, drones: [] })
      await h.insertMany([{ type: 'sa' }, { type: 'sa' }, { type: 'sa' }, { type: 'sb' }])
      const [c1, c2] = await h.claim('sa', 2)
      await h.succeed(c1!)
      await h.fail(c2!, null)
      await h.d.droneUpsert({ drone: { id: 'd1', name: 'alpha', host: 'h', pid: 1 } })
      const stats = await h.d.statsGet()
      expect(stats.types).toEqual({
        sa: { queued: 1, running: 0, succeeded: 1, failed: 1, cancelled: 0 },
        sb: { queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      })
      for (const counts of Object.values(stats.types)) expect(Object.keys(counts).sort()).toEqual([...TASK_STATES].sort())
      expect(stats.drones.map((d) => d.name)).toEqual(['alpha'])
      const running = (await h.claim('sb'))[0]!
      expect((await h.d.statsGet()).types.sb).toMatchObject({ queued: 0, running: 1 })
      await h.d.taskCancel({ id: running.id })
      expect((await h.d.statsGet()).types.sb).toEqual({ queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 1 })
    })
  })
}
