/**
 * The queue-wide gauges are read by one live drone at a time: two drones on one queue (real SQLite
 * and PostgreSQL), each with its own metrics, and only the one with the smallest id serves
 * swarmage_queue_tasks; when it stops, the other takes over.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { SwarmageMetrics } from '../../src/metrics/metrics.ts'
import { BACKENDS, BEHAVE, testQueue } from '../drone/setup.ts'
import { parseExposition, value } from './scrape.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe.each(BACKENDS)('queue-wide gauges on %s', (backend) => {
  it('are served by one live drone at a time', async () => {
    const t = await testQueue(backend, 'metrics-election')
    cleanups.push(t.cleanup)
    await t.queue.enqueueMany([{ type: 'elect', payload: {} }, { type: 'elect', payload: {} }, { type: 'idle', payload: {} }])
    const drones = ['a', 'b'].map(
      (name) => new Drone({ queue: t.queue, workers: { other: { module: BEHAVE } }, drone: { name: `elect-${name}` }, localQueuePath: `${t.dir}/${name}.db` }),
    )
    cleanups.push(async () => void (await Promise.all(drones.map((d) => d.stop({ mode: 'now' })))))
    const metrics = drones.map((drone) => {
      const m = new SwarmageMetrics()
      m.watchDrone(drone)
      // ttl 0: every render reads again, so the hand-over shows at once.
      m.watchQueue(t.queue, { ttlMs: 0, electedBy: { droneId: () => drone.id, liveWithinMs: 2 * drone.settings.leaseMs } })
      return m
    })
    await Promise.all(drones.map((d) => d.start()))
    const leader = drones[0]!.id < drones[1]!.id ? 0 : 1
    const follower = 1 - leader

    const read = async (i: number) => parseExposition((await metrics[i]!.render()).body)
    const lead = await read(leader)
    expect(value(lead, 'swarmage_queue_tasks', { type: 'elect', state: 'queued' })).toBe(2)
    expect(value(lead, 'swarmage_queue_tasks', { type: 'idle', state: 'queued' })).toBe(1)
    expect(value(lead, 'swarmage_queue_tasks', { type: 'elect', state: 'running' })).toBe(0)
    const follow = await read(follower)
    expect(follow.get('swarmage_queue_tasks') ?? []).toEqual([])
    // Per-drone gauges are every drone's own.
    expect(value(follow, 'swarmage_drone_capacity', { type: 'other', drone: drones[follower]!.name })).toBe(15)

    // The leader stops (and unregisters): the other reads from its next scrape on.
    await drones[leader]!.stop()
    expect(value(await read(follower), 'swarmage_queue_tasks', { type: 'elect', state: 'queued' })).toBe(2)
  })
})
