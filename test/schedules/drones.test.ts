import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { openQueue } from '../../src/queue/open.ts'
import { until } from '../helpers.ts'
import { BACKENDS, BEHAVE, FAST, testQueue } from '../drone/setup.ts'

describe.each(BACKENDS)('schedules in three real drones on %s', (backend) => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('apply the config on start and run each tick exactly once across the cluster', async () => {
    const q = await testQueue(backend, 'sched')
    cleanups.push(q.cleanup)
    const record = join(q.dir, 'runs.log')
    let now = new Date('2026-08-01T10:00:02Z')
    const clock = { now: async () => now }
    const drones: Drone[] = []
    for (const name of ['d1', 'd2', 'd3']) {
      const queue = await openQueue(q.address, { migrate: true })
      const drone = new Drone({
        queue,
        baseDir: q.dir,
        workers: { beat: { module: BEHAVE } },
        drone: { ...FAST, name },
        schedules: { beat: { cron: '* * * * *', type: 'beat', payload: { record } } },
        scheduler: { clock, pollMs: 20 },
      })
      await drone.start()
      drones.push(drone)
      cleanups.push(async () => {
        await drone.stop()
        await queue.close()
      })
    }
    await until(async () => (await q.queue.schedule('beat'))?.nextRun === '2026-08-01T10:01:00.000Z', 10_000, 'the schedule anchored')
    for (let minute = 1; minute <= 4; minute++) {
      now = new Date(Date.UTC(2026, 7, 1, 10, minute, 2))
      await until(async () => existsSync(record) && readFileSync(record, 'utf8').trim().split('\n').length >= minute, 15_000, `tick ${minute} ran`)
    }
    // Let every scheduler pass a few more times at the last minute: nothing more may appear.
    const before = (await q.queue.schedule('beat'))!.updatedAt
    await until(async () => (await q.queue.schedule('beat'))!.updatedAt === before && (await q.queue.list({ limit: 50 })).every((t) => t.state === 'succeeded'), 10_000, 'quiet')
    const tasks = (await q.queue.list({ limit: 50 })).filter((t) => t.schedule?.name === 'beat')
    expect(tasks.map((t) => t.schedule!.tick).sort()).toEqual([1, 2, 3, 4].map((m) => `2026-08-01T10:0${m}:00.000Z`))
    expect(readFileSync(record, 'utf8').trim().split('\n')).toHaveLength(4)
  })
})
