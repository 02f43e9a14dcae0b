import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DRONE_DEFAULTS } from '../../src/core/config.ts'
import { typeCapacity } from '../../src/drone/capacity.ts'
import { Drone } from '../../src/drone/drone.ts'
import { until } from '../helpers.ts'
import { BEHAVE, FAST, testQueue } from './setup.ts'

describe('typeCapacity (CONTRACT.md "Capacity default")', () => {
  it('is bufferPerWorker × processes, never below 2 × concurrency × processes', () => {
    expect(typeCapacity(15, [{ processes: 1, concurrency: 1 }])).toBe(15)
    expect(typeCapacity(15, [{ processes: 2, concurrency: 1 }])).toBe(30)
    expect(typeCapacity(15, [{ processes: 1, concurrency: 50 }])).toBe(100)
    expect(typeCapacity(15, [{ processes: 2, concurrency: 50 }])).toBe(200)
    expect(typeCapacity(500, [{ processes: 2, concurrency: 50 }])).toBe(1000)
    // several definitions of one type: summed processes and summed slots
    expect(typeCapacity(15, [{ processes: 2, concurrency: 4 }, { processes: 1, concurrency: 20 }])).toBe(56)
    expect(typeCapacity(15, [{ processes: 2, concurrency: 1 }, { processes: 1, concurrency: 2 }])).toBe(45)
  })
})

describe('a default-configured drone with concurrency 50', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  /** A started drone with the default buffer and one type of concurrency 50, on its own SQLite queue. */
  async function defaultDrone(name: string) {
    const q = await testQueue('sqlite', name)
    cleanups.push(q.cleanup)
    const drone = new Drone({
      queue: q.queue,
      baseDir: q.dir,
      localQueuePath: join(q.dir, 'local.db'),
      workers: { io: { module: BEHAVE, concurrency: 50 } },
      drone: { ...FAST, name },
    })
    cleanups.push(() => drone.stop({ mode: 'now' }))
    await drone.start()
    return { q, drone }
  }

  it('has capacity ≥ 100 and holds that many tasks in hand (the old default held 15)', async () => {
    expect(DRONE_DEFAULTS.bufferPerWorker).toBeLessThan(100)
    const { q, drone } = await defaultDrone('capacity')
    expect(drone.snapshot().types[0]).toMatchObject({ type: 'io', capacity: 100 })
    // Slow tasks, more than the capacity: the drone claims up to its capacity and no further.
    await q.queue.enqueueMany(Array.from({ length: 150 }, (_, n) => ({ type: 'io', payload: { n, sleepMs: 3_000 } })))
    let most = 0
    await until(() => {
      const t = drone.snapshot().types[0]!
      most = Math.max(most, t.buffered + t.running)
      return t.running === 50 && t.buffered + t.running === 100
    }, 20_000, '50 running and 100 in hand')
    expect(most).toBeLessThanOrEqual(100)
  })

  it('holds more than its capacity while the type finishes fast (elastic room), never beyond 10 × its slots', async () => {
    const { q, drone } = await defaultDrone('elastic')
    // No-op tasks: the finish rate times the horizon exceeds the 2 × slots floor at once.
    const ids = await q.queue.enqueueMany(Array.from({ length: 6_000 }, (_, n) => ({ type: 'io', payload: { n } })))
    let most = 0
    await until(() => {
      // unfinished tasks in hand (outcomes awaiting the queue's acknowledgement hold no slot)
      most = Math.max(most, drone.holdings().filter((h) => h.state !== 'finishing').length)
      return drone.snapshot().types[0]!.done === ids.length
    }, 60_000, 'all 6,000 tasks done')
    expect(drone.snapshot().types[0]!.capacity).toBe(100) // the contract's figure is unchanged
    expect(most).toBeGreaterThan(100)
    expect(most).toBeLessThanOrEqual(500) // 10 × 50 slots
  })
})
