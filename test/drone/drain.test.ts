import { afterEach, describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src/core/events.ts'
import { Drone } from '../../src/drone/drone.ts'
import { BACKENDS, BEHAVE, EventLog, FAST, testQueue } from './setup.ts'

describe.each(BACKENDS)('drone stop on %s', (backend) => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('hands buffered tasks back without using an attempt; running ones finish', async () => {
    const q = await testQueue(backend, 'drain')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE } }, drone: { ...FAST, bufferPerWorker: 40 } })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    const ids = await q.queue.enqueueMany(Array.from({ length: 30 }, (_, n) => ({ type: 'alpha', payload: { n, sleepMs: 300 } })))
    await drone.start()
    await log.waitFor((e) => e.kind === 'started')
    await log.waitFor((e) => e.kind === 'claimed' && log.task('claimed').length === 30, 10_000, 'all 30 claimed')
    await drone.stop()
    expect(drone.state).toBe('stopped')
    const started = new Set(log.task('started').map((e) => e.taskId))
    const handedBack = new Set(log.task('handed-back').map((e) => e.taskId))
    expect(started.size).toBeGreaterThanOrEqual(1)
    expect(started.size + handedBack.size).toBe(30)
    for (const id of ids) {
      const t = (await q.queue.get(id))!
      if (started.has(id)) expect(t).toMatchObject({ state: 'succeeded', attempts: 1 })
      else expect(t).toMatchObject({ state: 'queued', attempts: 0 })
    }
    // unregistered
    expect((await q.queue.stats()).drones.map((d) => d.name)).not.toContain(drone.name)
    // drone-state events: running → draining → stopped
    const states = log.events.filter((e) => e.kind === 'drone-state' && !('error' in e && e.error)).map((e) => (e as { state: string }).state)
    expect(states.slice(-3)).toEqual(['running', 'draining', 'stopped'])
  })

  it("stop({ mode: 'now' }) while draining stops at once and hands the running task back", async () => {
    const q = await testQueue(backend, 'drain2')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE } }, drone: { ...FAST, graceMs: 60_000 } })
    const log = new EventLog(drone)
    await drone.start()
    const id = await q.queue.enqueue('alpha', { sleepMs: 120_000 })
    await log.waitTask('started', id)
    const first = drone.stop()
    await log.waitFor((e) => e.kind === 'drone-state' && (e as { state: string }).state === 'draining')
    const t0 = Date.now()
    const second = drone.stop({ mode: 'now' })
    expect(second).toBe(first)
    await second
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(drone.state).toBe('stopped')
    expect(log.task('handed-back', id)).toHaveLength(1)
    expect(await q.queue.get(id)).toMatchObject({ state: 'queued', attempts: 0 })
    expect((log.events.find((e) => e.kind === 'handed-back') as TaskEvent).type).toBe('alpha')
  })
  it("stop({ mode: 'now' }) as the first call stops at once; a second plain stop() does not escalate a drain", async () => {
    const q = await testQueue(backend, 'drain3')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE } }, drone: { ...FAST, graceMs: 60_000 } })
    const log = new EventLog(drone)
    await drone.start()
    const id = await q.queue.enqueue('alpha', { sleepMs: 120_000 })
    await log.waitTask('started', id)
    const t0 = Date.now()
    await drone.stop({ mode: 'now' })
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(drone.state).toBe('stopped')
    expect(await q.queue.get(id)).toMatchObject({ state: 'queued', attempts: 0 })

    // A drain that a second stop() (no mode) leaves draining: the running task still finishes.
    const q2 = await testQueue(backend, 'drain4')
    cleanups.push(q2.cleanup)
    const d2 = new Drone({ queue: q2.queue, baseDir: q2.dir, workers: { alpha: { module: BEHAVE } }, drone: { ...FAST, graceMs: 60_000 } })
    const log2 = new EventLog(d2)
    await d2.start()
    const id2 = await q2.queue.enqueue('alpha', { sleepMs: 1_500 })
    await log2.waitTask('started', id2)
    const first = d2.stop()
    await log2.waitFor((e) => e.kind === 'drone-state' && (e as { state: string }).state === 'draining')
    expect(d2.stop()).toBe(first)
    await first
    expect(await q2.queue.get(id2)).toMatchObject({ state: 'succeeded', attempts: 1 })
  })
})
