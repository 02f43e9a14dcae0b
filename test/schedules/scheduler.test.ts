import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { Scheduler, type Clock } from '../../src/schedules/scheduler.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'

/** A clock the test moves by hand (the scheduler's injectable clock). */
class FakeClock implements Clock {
  constructor(public t: Date) {}
  async now(): Promise<Date> {
    return this.t
  }
  set(iso: string): void {
    this.t = new Date(iso)
  }
  add(ms: number): void {
    this.t = new Date(this.t.getTime() + ms)
  }
}

const tmp = tempDir('swarmage-sched-')
const schema = uniqueSchema('sched')
const backends: Array<{ name: string; address: () => string }> = [
  { name: 'sqlite', address: () => `sqlite:${tmp.dir}/${Math.random().toString(36).slice(2)}.db` },
  { name: 'postgres', address: () => pgAddress(`${schema}_${Math.random().toString(36).slice(2, 6)}`) },
]
const opened: Queue[] = []
const schemas: string[] = []

async function open(address: string): Promise<Queue> {
  const q = await openQueue(address, { migrate: true })
  opened.push(q)
  const s = /schema=([^&]+)/.exec(address)?.[1]
  if (s) schemas.push(s)
  return q
}

async function ticksOf(q: Queue, name: string): Promise<string[]> {
  const tasks = await q.list({ limit: 1000 })
  return tasks.filter((t) => t.schedule?.name === name).map((t) => t.schedule!.tick).sort()
}

beforeAll(() => undefined)
afterAll(async () => {
  for (const q of opened) await q.close().catch(() => undefined)
  for (const s of new Set(schemas)) await dropSchema(s)
  tmp.cleanup()
})

describe.each(backends)('schedules on $name', ({ address }) => {
  it('runs a 02:30 Europe/Berlin job once on the spring-forward day and once on the fall-back day', async () => {
    const q = await open(address())
    const clock = new FakeClock(new Date('2026-03-28T12:00:00Z'))
    const s = new Scheduler(q, { clock })
    await q.setSchedule('berlin', { cron: '30 2 * * *', type: 'report', payload: { n: 1 }, timezone: 'Europe/Berlin' })
    const walk = async (untilIso: string) => {
      for (; clock.t < new Date(untilIso); clock.add(10 * 60_000)) await s.pass()
    }
    await walk('2026-03-30T12:00:00Z')
    // 2026-03-29: 02:00 → 03:00, so 02:30 does not exist; croner runs it at 03:00 CEST (01:00Z), once.
    expect(await ticksOf(q, 'berlin')).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'])
    clock.set('2026-10-24T12:00:00Z')
    await s.pass() // more than the tolerance late for anything in between: skipped, re-planned
    await walk('2026-10-26T12:00:00Z')
    // 2026-10-25: 03:00 → 02:00, so 02:30 happens twice (00:30Z and 01:30Z); the job runs at the first only.
    const autumn = (await ticksOf(q, 'berlin')).filter((t) => t.startsWith('2026-10'))
    expect(autumn).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'])
    const task = (await q.list({ limit: 10 })).find((t) => t.schedule?.tick === '2026-10-25T00:30:00.000Z')!
    expect(task).toMatchObject({ type: 'report', payload: { n: 1 }, key: 'schedule:berlin:2026-10-25T00:30:00.000Z' })
  })

  it('skips missed ticks unless catchUp covers them; a tick within the tolerance still runs', async () => {
    const q = await open(address())
    const clock = new FakeClock(new Date('2026-05-01T00:10:00Z'))
    const s = new Scheduler(q, { clock })
    await q.setSchedule('hourly', { cron: '0 * * * *', type: 'h' })
    await q.setSchedule('backfill', { cron: '0 * * * *', type: 'h', catchUp: 3 * 3600_000 + 15 * 60_000 })
    await s.pass() // anchors both at 01:00
    clock.set('2026-05-01T05:10:00Z') // drones were down for five ticks
    await s.pass()
    expect(await ticksOf(q, 'hourly')).toEqual([])
    expect(await ticksOf(q, 'backfill')).toEqual(['2026-05-01T02:00:00.000Z', '2026-05-01T03:00:00.000Z', '2026-05-01T04:00:00.000Z', '2026-05-01T05:00:00.000Z'])
    clock.set('2026-05-01T06:00:04Z')
    await s.pass()
    expect(await ticksOf(q, 'hourly')).toEqual(['2026-05-01T06:00:00.000Z'])
    expect((await q.schedule('hourly'))!.nextRun).toBe('2026-05-01T07:00:00.000Z')
  })

  it("overlap 'skip' enqueues nothing while the previous tick's task is unfinished; paused enqueues nothing", async () => {
    const q = await open(address())
    const clock = new FakeClock(new Date('2026-06-01T00:00:02Z'))
    const s = new Scheduler(q, { clock })
    await q.setSchedule('solo', { cron: '* * * * *', type: 'solo', overlap: 'skip' })
    await s.pass()
    clock.add(60_000)
    await s.pass()
    const [first] = await ticksOf(q, 'solo')
    expect(first).toBe('2026-06-01T00:01:00.000Z')
    clock.add(60_000)
    await s.pass() // the 00:01 task is still queued
    expect(await ticksOf(q, 'solo')).toEqual([first])
    const t = (await q.list({ limit: 5 })).find((x) => x.schedule?.tick === first)!
    await q.cancel(t.id)
    clock.add(60_000)
    await s.pass()
    expect(await ticksOf(q, 'solo')).toEqual([first, '2026-06-01T00:03:00.000Z'])

    await q.pauseSchedule('solo')
    const done = (await q.list({ limit: 5 })).find((x) => x.schedule?.tick === '2026-06-01T00:03:00.000Z')!
    await q.cancel(done.id)
    for (let i = 0; i < 3; i++) {
      clock.add(60_000)
      await s.pass()
    }
    expect(await ticksOf(q, 'solo')).toHaveLength(2)
    await q.resumeSchedule('solo') // ticks during the pause are not caught up
    await s.pass()
    clock.add(60_000)
    await s.pass()
    expect((await ticksOf(q, 'solo')).at(-1)).toBe('2026-06-01T00:07:00.000Z')
    // run now: one task at once, shown as the last run
    const id = await q.runSchedule('solo')
    const sched = (await q.schedule('solo'))!
    expect(sched.lastTaskId).toBe(id)
    expect((await q.get(id))!.schedule?.name).toBe('solo')
  })

  it('enqueues exactly one task per tick with three schedulers on three connections', async () => {
    const addr = address()
    const queues = [await open(addr), await open(addr), await open(addr)]
    const clock = new FakeClock(new Date('2026-07-01T00:00:02Z'))
    const schedulers = queues.map((q) => new Scheduler(q, { clock }))
    await Promise.all(queues.map((q) => q.setSchedule('every', { cron: '* * * * *', type: 'every' })))
    for (let i = 0; i < 30; i++) {
      // Every scheduler passes twice per step, concurrently; tasks are cancelled at once, so a second
      // enqueue of a tick would not be absorbed by the live-key guard: only the compare-and-set holds.
      await Promise.all([...schedulers, ...schedulers].map((s) => s.pass()))
      for (const t of await queues[0]!.list({ state: 'queued', limit: 100 })) await queues[0]!.cancel(t.id)
      clock.add(60_000)
    }
    const ticks = await ticksOf(queues[0]!, 'every')
    expect(ticks).toHaveLength(29)
    expect(new Set(ticks).size).toBe(29)
  })
})

describe('schedule definitions', () => {
  it('refuses an invalid cron, an unknown time zone and a bad name, naming them, and stores nothing', async () => {
    const q = await open(backends[0]!.address())
    await expect(q.setSchedule('x', { cron: '61 * * * *', type: 't' })).rejects.toThrow(/"61 \* \* \* \*"/)
    await expect(q.setSchedule('x', { cron: '* * * * *', type: 't', timezone: 'Mars/Olympus' })).rejects.toThrow(/Mars\/Olympus/)
    await expect(q.setSchedule('a:b', { cron: '* * * * *', type: 't' })).rejects.toThrow(/"a:b"/)
    expect(await q.schedules()).toEqual([])
  })
})

describe('config schedules', () => {
  it('validates with zod, naming an invalid cron and an unknown time zone', async () => {
    const { validateConfig } = await import('../../src/core/config.ts')
    expect(() => validateConfig({ workers: {}, schedules: { r: { cron: '61 * * * *', type: 'r' } } })).toThrow(/schedules\.r\.cron: invalid cron expression "61 \* \* \* \*"/)
    expect(() => validateConfig({ workers: {}, schedules: { r: { cron: '* * * * *', type: 'r', timezone: 'Mars/Olympus' } } })).toThrow(/Mars\/Olympus/)
    expect(validateConfig({ workers: {}, schedules: { r: { cron: '*/5 * * * *', type: 'r', overlap: 'skip', catchUp: 0 } } }).schedules).toEqual({
      r: { cron: '*/5 * * * *', type: 'r', overlap: 'skip', catchUp: 0 },
    })
  })
})
