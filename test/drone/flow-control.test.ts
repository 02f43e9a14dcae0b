import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { validateConfig } from '../../src/core/config.ts'
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
          // One process each: the room a drone may hold (≤ 10 × its 2 slots) stays below what is queued, whatever the core count.
          workers: { slow: { module: BEHAVE, processes: 1, concurrency: 2 } },
          // A minute between polls: only the wake-up signal can restart claiming within the test's deadline.
          drone: { ...FAST, name, pollMs: 60_000, bufferPerWorker: 1 },
        }),
    )
    const logs = drones.map((d) => new EventLog(d))
    // Stopped 'now': tasks still blocked at the end are handed back, not waited for.
    for (const d of drones) cleanups.push(() => d.stop({ mode: 'now' }))
    // Every task blocks until the test creates `gate`, so what the drones hold does not depend on
    // the machine's speed: while the gate is shut each drone fills its capacity and then has no
    // room, so no claim is in flight when the pause lands.
    const gate = join(q.dir, 'gate')
    const total = 100
    await q.queue.enqueueMany(Array.from({ length: total }, () => ({ type: 'slow', payload: { waitFile: gate } })))
    await Promise.all(drones.map((d) => d.start()))
    const held = (): number[] => drones.map((d) => d.snapshot().leases.held)
    const capacity = drones.map((d) => d.snapshot().types[0]!.capacity)
    await until(() => held().every((n, i) => n === capacity[i]), 30_000, 'both drones to fill their capacity')
    const claimedAtPause = logs.map((l) => l.task('claimed').length)

    ok(await cli(['pause', 'slow', '--queue', q.address], { cwd: q.dir }))
    // Open the gate: the tasks in hand finish, each drone has room again and claims — and gets nothing.
    writeFileSync(gate, '')
    await until(async () => (await q.queue.stats()).types.slow?.running === 0 && held().every((n) => n === 0), 30_000, 'tasks in hand to finish')
    expect(logs.map((l) => l.task('claimed').length)).toEqual(claimedAtPause)
    const inHandAtPause = capacity.reduce((a, b) => a + b, 0)
    expect((await q.queue.stats()).types.slow).toMatchObject({ queued: total - inHandAtPause, succeeded: inHandAtPause })

    // Shut the gate again so what each drone claims after the resume stays in hand (at most its
    // capacity): one drone cannot take the whole queue before the other's claim arrives.
    rmSync(gate)
    ok(await cli(['resume', 'slow', '--queue', q.address], { cwd: q.dir }))
    // Both must claim again long before their next poll (a minute away): the signal path delivered the resume.
    await Promise.all(logs.map((l, i) => until(() => l.task('claimed').length > claimedAtPause[i]!, 20_000, `drone ${i + 1} to claim after the resume`)))
  })
})
