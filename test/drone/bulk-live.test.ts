import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { BACKENDS, testQueue } from './setup.ts'

// A bulk action by filter while a drone runs (CONTRACT.md "Operations"): nothing outside the
// filter touched, nothing matched twice, the drone keeps burning its tasks down meanwhile.
const NOOP = fileURLToPath(new URL('../../bench/workers/noop.mjs', import.meta.url))
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe.each(BACKENDS)('bulk cancel with a drone running on %s', (backend) => {
  it('cancels exactly the matching tasks once while the drone runs the others', async () => {
    const q = await testQueue(backend, 'bulklive')
    cleanups.push(q.cleanup)
    const dead = 6_000
    const live = 1_500
    await q.queue.enqueueMany(Array.from({ length: dead }, (_, i) => ({ type: 'bulk.dead', payload: { i } })))
    await q.queue.enqueueMany(Array.from({ length: live }, (_, i) => ({ type: 'bulk.live', payload: { i } })))
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, localQueuePath: join(q.dir, 'local.db'), workers: { 'bulk.live': { module: NOOP, concurrency: 4 } } })
    cleanups.push(() => drone.stop())
    let succeeded = 0
    let resolveDone!: () => void
    const done = new Promise<void>((r) => (resolveDone = r))
    drone.on('event', (e: { kind: string; type?: string }) => {
      if (e.kind === 'succeeded' && e.type === 'bulk.live' && ++succeeded === live) resolveDone()
    })
    await drone.start()
    const result = await q.queue.bulk('cancel', { type: 'bulk.dead' }, { batchSize: 250 })
    await done
    expect(result).toEqual({ matched: dead, changed: dead })
    const stats = (await q.queue.stats()).types
    expect(stats['bulk.dead']).toMatchObject({ queued: 0, cancelled: dead })
    expect(stats['bulk.live']).toMatchObject({ succeeded: live, cancelled: 0 })
  }, 180_000)
})
