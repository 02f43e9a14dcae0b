import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { validateConfig } from '../../src/core/config.ts'
import type { TaskEvent } from '../../src/core/events.ts'
import { Drone } from '../../src/drone/drone.ts'
import { cli, ok } from '../cli/cli.ts'
import { until } from '../helpers.ts'
import { BACKENDS, BEHAVE, EventLog, FAST, testQueue } from './setup.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('config types (flow control)', () => {
  it('validates each setting, naming the key path and the value', () => {
    const bad = (types: unknown) => () => validateConfig({ workers: {}, types }, 'swarmage.config.ts')
    expect(bad({ resize: { rate: '0/1s' } })).toThrow(/^swarmage\.config\.ts: types\.resize\.rate: .*"0\/1s"/)
    expect(bad({ resize: { maxRunning: -1 } })).toThrow(/types\.resize\.maxRunning: .*-1/)
    expect(bad({ resize: { groupMaxRunning: 1.5 } })).toThrow(/types\.resize\.groupMaxRunning/)
    expect(bad({ resize: { limit: 3 } })).toThrow(/types\.resize.*limit/)
    expect(bad({ 'bad type!': { maxRunning: 1 } })).toThrow(/types.*task type/)
    expect(validateConfig({ workers: {}, types: { resize: { maxRunning: 4, rate: '50/1s', groupMaxRunning: 1 } } }).types).toEqual({
      resize: { maxRunning: 4, rate: '50/1s', groupMaxRunning: 1 },
    })
  })
})

describe.each(BACKENDS)('flow control through drones on %s', (backend) => {
  it("a drone applies the config's types on start; keys left out keep what an operator set", async () => {
    const q = await testQueue(backend, 'flow_cfg')
    cleanups.push(q.cleanup)
    expect(() => new Drone({ queue: q.queue, workers: { a: { module: BEHAVE } }, types: { a: { rate: '0/1s' } } })).toThrow(/rate "0\/1s"/)
    await q.queue.setTypeSettings('a', { paused: true, groupRate: '1/1m' })
    const drone = new Drone({
      queue: q.queue,
      baseDir: q.dir,
      workers: { a: { module: BEHAVE } },
      drone: FAST,
      types: { a: { maxRunning: 4, rate: '50/1s', groupRate: null }, b: { groupMaxRunning: 1 } },
    })
    cleanups.push(() => drone.stop())
    await drone.start()
    expect(await q.queue.typeSettings()).toEqual({
      a: { paused: true, maxRunning: 4, rate: '50/1s', groupMaxRunning: null, groupRate: null },
      b: { paused: false, maxRunning: null, rate: null, groupMaxRunning: 1, groupRate: null },
    })
  })

  it('postbacks carry their group (ctx.enqueue(type, payload, { group }))', async () => {
    const q = await testQueue(backend, 'flow_pb')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { parent: { module: BEHAVE } }, drone: FAST })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const id = await q.queue.enqueue('parent', { postbacks: 2, childGroup: 'tenant-9' })
    await log.waitTask('succeeded', id)
    const { children } = (await q.queue.mustGet(id)).result as { children: string[] }
    const kids = await Promise.all(children.map((c) => q.queue.mustGet(c)))
    expect(kids.map((k) => [k.group, k.parentId])).toEqual([
      ['tenant-9', id],
      ['tenant-9', id],
    ])
  })

  it('`swarmage pause` stops new claims on both drones at once; `resume` wakes them by signal, not by polling', async () => {
    const q = await testQueue(backend, 'flow_pause')
    cleanups.push(q.cleanup)
    const drones = ['one', 'two'].map(
      (name) =>
        new Drone({
          queue: q.queue,
          baseDir: q.dir,
          localQueuePath: join(q.dir, `${name}.db`),
          workers: { slow: { module: BEHAVE, concurrency: 2 } },
          // A minute between polls: only the wake-up signal can restart claiming within the test's deadline.
          drone: { ...FAST, name, pollMs: 60_000, bufferPerWorker: 1 },
        }),
    )
    const logs = drones.map((d) => new EventLog(d))
    for (const d of drones) cleanups.push(() => d.stop({ mode: 'now' }))
    await q.queue.enqueueMany(Array.from({ length: 600 }, () => ({ type: 'slow', payload: { sleepMs: 40 } })))
    await Promise.all(drones.map((d) => d.start()))
    await Promise.all(logs.map((l) => l.waitFor((e) => e.kind === 'started', 30_000, 'a start on each drone')))

    ok(await cli(['pause', 'slow', '--queue', q.address], { cwd: q.dir }))
    const pausedAt = Date.now()
    // What each drone had in hand when the pause landed finishes; then nothing of the type runs.
    await until(async () => (await q.queue.stats()).types.slow?.running === 0, 30_000, 'tasks in hand to finish')
    const claimedAfter = (since: number) => logs.flatMap((l) => l.task('claimed')).filter((e: TaskEvent) => e.at > since)
    expect(claimedAfter(pausedAt + 1_000)).toEqual([])
    const queuedAtPause = (await q.queue.stats()).types.slow!.queued
    expect(queuedAtPause).toBeGreaterThan(0)

    const before = logs.map((l) => l.task('claimed').length)
    ok(await cli(['resume', 'slow', '--queue', q.address], { cwd: q.dir }))
    // Both must claim again long before their next poll (a minute away): the signal path delivered the resume.
    await Promise.all(logs.map((l, i) => until(() => l.task('claimed').length > before[i]!, 20_000, `drone ${i + 1} to claim after the resume`)))
  })
})
