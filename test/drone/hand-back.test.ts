/**
 * An operator's "hand back" (Drone.handBack → Ledger.giveBack) with a real drone and worker process:
 * only a buffered task goes back, as a handback outcome (fenced, no attempt used, 'handed-back' once
 * the queue acknowledged it); a dispatched or running one is refused and keeps running.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { BACKENDS, BEHAVE, EventLog, FAST, testQueue } from './setup.ts'

describe.each(BACKENDS)('hand back on %s', (backend) => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('gives a buffered task back and refuses one a worker has', async () => {
    const q = await testQueue(backend, 'handback')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE, concurrency: 1 } }, drone: FAST })
    cleanups.push(() => drone.stop({ mode: 'now' }))
    const log = new EventLog(drone)
    const hold = (n: number) => ({ type: 'alpha', payload: { n, waitAbort: join(q.dir, `abort-${n}`) } })
    await q.queue.enqueueMany([hold(0), hold(1), hold(2), hold(3)])
    expect(drone.handBack('nothing')).toBe(false) // not started: refused
    await drone.start()
    await log.waitFor((e) => e.kind === 'started')
    await log.waitFor(() => drone.holdings().filter((h) => h.state === 'buffered').length === 2, 10_000, 'two buffered')
    drone.pause()
    const byState = (s: string) => drone.holdings().find((h) => h.state === s)!
    const running = byState('running')
    const dispatched = byState('dispatched')
    const buffered = byState('buffered')
    expect(drone.heldType(buffered.id)).toBe('alpha')
    expect(drone.handBack(running.id)).toBe(false)
    expect(drone.handBack(dispatched.id)).toBe(false)
    expect(drone.handBack(buffered.id)).toBe(true)
    expect(drone.handBack(buffered.id)).toBe(false) // already going back: a second hand back moves nothing
    await log.waitTask('handed-back', buffered.id)
    expect(log.task('handed-back')).toHaveLength(1)
    expect(await q.queue.get(buffered.id)).toMatchObject({ state: 'queued', attempts: 0 })
    expect(drone.heldType(buffered.id)).toBeUndefined()
    // The refused ones are still in hand, as they were.
    expect(drone.holdings().map((h) => [h.id, h.state])).toEqual(expect.arrayContaining([[running.id, 'running'], [dispatched.id, 'dispatched']]))
    expect(await q.queue.get(running.id)).toMatchObject({ state: 'running', attempts: 1 })
  })
})
