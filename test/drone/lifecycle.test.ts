import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { InputError, WorkerModuleError } from '../../src/core/errors.ts'
import type { WorkerEvent } from '../../src/core/events.ts'
import { Drone } from '../../src/drone/drone.ts'
import { LocalQueue } from '../../src/drone/local-queue.ts'
import { until } from '../helpers.ts'
import { BACKENDS, BEHAVE, EventLog, FAST, FIXTURES, testQueue } from './setup.ts'

describe.each(BACKENDS)('drone lifecycle on %s', (backend) => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('fails start with the worker module error, stops what it started, and can be stopped', async () => {
    const q = await testQueue(backend, 'broken')
    cleanups.push(q.cleanup)
    const drone = new Drone({
      queue: q.queue,
      baseDir: FIXTURES,
      localQueuePath: join(q.dir, 'local.db'),
      workers: { good: { module: './behave.ts' }, bad: { module: './broken.ts' } },
      drone: FAST,
    })
    const log = new EventLog(drone)
    const err = await drone.start().then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(WorkerModuleError)
    expect((err as Error).message).toContain('broken fixture refuses to load')
    expect(drone.state).toBe('failed')
    await drone.stop()
    expect(drone.state).toBe('failed')
    // the good pool's process was stopped too, and the local queue released
    const spawned = log.events.filter((e): e is WorkerEvent => e.kind === 'worker-spawned' && e.type === 'good')
    expect(spawned).toHaveLength(1)
    await until(() => log.events.some((e) => e.kind === 'worker-exited' && (e as WorkerEvent).type === 'good'), 5_000, 'good worker exit')
    LocalQueue.open({ path: join(q.dir, 'local.db') }).close()
    expect((await q.queue.stats()).drones).toEqual([])
  })

  it('validates options and worker definitions at construction', async () => {
    const q = await testQueue(backend, 'validate')
    cleanups.push(q.cleanup)
    expect(() => new Drone({ queue: q.queue, workers: { a: { module: BEHAVE } }, drone: { leaseMs: 10 } })).toThrow(InputError)
    expect(() => new Drone({ queue: q.queue, workers: { a: { module: BEHAVE } }, drone: { bogus: 1 } as never })).toThrow(/bogus/)
    expect(() => new Drone({ queue: q.queue, workers: { 'bad type!': { module: BEHAVE } } })).toThrow(/task type/)
    expect(() => new Drone({ queue: q.queue, workers: { a: { module: BEHAVE, processes: 0 } } })).toThrow(InputError)
  })

  it('starts and stops idempotently, registers with a heartbeat, snapshots, restarts workers', async () => {
    const q = await testQueue(backend, 'life')
    cleanups.push(q.cleanup)
    const drone = new Drone({
      queue: q.queue,
      baseDir: q.dir,
      workers: { a: [{ module: BEHAVE, processes: 2 }, { module: BEHAVE }] },
      drone: { ...FAST, name: 'life', bufferPerWorker: 5 },
    })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    const p1 = drone.start()
    expect(drone.start()).toBe(p1)
    await p1
    expect(drone.state).toBe('running')
    const drones = (await q.queue.stats()).drones
    expect(drones).toHaveLength(1)
    expect(drones[0]).toMatchObject({ name: 'life', pid: process.pid })
    await until(async () => ((await q.queue.stats()).drones[0]?.info as { state?: string }).state === 'running', 5_000, 'a heartbeat')
    const snap = drone.snapshot()
    expect(snap).toMatchObject({ name: 'life', state: 'running', leases: { held: 0, lost: 0 } })
    expect(snap.types).toEqual([{ type: 'a', capacity: 15, buffered: 0, running: 0, done: 0, failed: 0 }])
    expect(snap.processes.map((p) => p.workerId).sort()).toEqual(['a#1', 'a#2', 'a[2]#1'])
    expect(snap.processes.every((p) => p.type === 'a')).toBe(true)
    // both definitions of the type get work
    const ids = await q.queue.enqueueMany(Array.from({ length: 60 }, (_, n) => ({ type: 'a', payload: { n } })))
    await until(async () => (await q.queue.stats()).types.a?.succeeded === 60, 20_000, '60 successes')
    expect(new Set(log.task('started').map((e) => e.workerId)).size).toBe(3)
    expect(ids).toHaveLength(60)
    const old = drone.snapshot().processes.find((p) => p.workerId === 'a[2]#1')!.pid
    await drone.restartWorkers('a', 'a[2]#1')
    const now = drone.snapshot().processes.find((p) => p.workerId === 'a[2]#1')!
    expect(now.pid).not.toBe(old)
    await expect(drone.restartWorkers('nope')).rejects.toThrow(InputError)
    const s1 = drone.stop()
    const s2 = drone.stop()
    await Promise.all([s1, s2])
    expect(drone.state).toBe('stopped')
    await drone.stop()
    expect((await q.queue.stats()).drones).toEqual([])
  })

  it('a lost lease aborts the running task in its worker with reason lease-lost', async () => {
    const q = await testQueue(backend, 'lease')
    cleanups.push(q.cleanup)
    // graceMs short: the re-claimed task waits for an abort, which the stop's grace brings
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { a: { module: BEHAVE } }, drone: { ...FAST, graceMs: 100 } })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const abortFile = join(q.dir, 'abort.txt')
    const id = await q.queue.enqueue('a', { waitAbort: abortFile })
    await log.waitTask('started', id)
    const leaseSeq = drone.holdings().find((h) => h.id === id)!.leaseSeq
    await until(async () => {
      await q.queue.driver.taskLeaseExtend({ droneId: drone.id, leases: [{ id, leaseSeq }], leaseMs: 1 })
      return (await q.queue.driver.taskRescue({ graceMs: 0, limit: 10 })).requeued.includes(id)
    }, 10_000, 'the rescue')
    await log.waitTask('lease-lost', id)
    await until(() => {
      try {
        return readFileSync(abortFile, 'utf8') === 'lease-lost'
      } catch {
        return false
      }
    }, 10_000, 'the worker to see lease-lost')
    expect(drone.snapshot().leases.lost).toBeGreaterThanOrEqual(1)
  })

  it('holdings(): every task in hand with its state, worker and lease expiry, a copy', async () => {
    const q = await testQueue(backend, 'holdings')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { a: { module: BEHAVE } }, drone: { ...FAST, leaseMs: 60_000, graceMs: 100 } })
    cleanups.push(() => drone.stop())
    expect(drone.holdings()).toEqual([])
    const log = new EventLog(drone)
    const before = Date.now()
    await drone.start()
    const abortFile = join(q.dir, 'abort.txt')
    const [running, waiting] = await q.queue.enqueueMany([
      { type: 'a', payload: { waitAbort: abortFile }, options: { priority: 1 } },
      { type: 'a', payload: {} },
    ])
    await log.waitTask('started', running!)
    // One process, concurrency 1: the second task waits in the drone (buffered or prefetched by the process).
    await until(() => drone.holdings().length === 2, 10_000, 'both tasks in hand')
    const held = drone.holdings()
    const pid = drone.snapshot().processes[0]!.pid
    const run = held.find((h) => h.id === running)!
    expect(run).toMatchObject({ type: 'a', state: 'running', attempt: 1, workerId: 'a#1', pid })
    expect(run.startedAt).toBeGreaterThanOrEqual(before)
    expect(run.leaseExpiresAt).toBeGreaterThanOrEqual(before + 60_000)
    expect(run.leaseExpiresAt).toBeLessThanOrEqual(Date.now() + 60_000)
    expect(['buffered', 'dispatched']).toContain(held.find((h) => h.id === waiting)!.state)
    // A copy: changing it changes nothing in the drone.
    run.state = 'finishing'
    expect(drone.holdings().find((h) => h.id === running)!.state).toBe('running')
    await q.queue.cancel(running!)
    await log.waitTask('succeeded', waiting!)
    await until(() => drone.holdings().length === 0, 10_000, 'nothing in hand')
  })

  it('a task re-claimed while its old run is in hand: the old run is dropped, the new claim handed back through the completer', async () => {
    const q = await testQueue(backend, 'reclaim')
    cleanups.push(q.cleanup)
    // A long lease: the lease keeper does not notice the rescue before the pump claims the task again.
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { a: { module: BEHAVE } }, drone: { ...FAST, leaseMs: 60_000, graceMs: 100 } })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const abortFile = join(q.dir, 'abort.txt')
    const id = await q.queue.enqueue('a', { waitAbort: abortFile })
    await log.waitTask('started', id)
    drone.pause()
    const leaseSeq = drone.holdings().find((h) => h.id === id)!.leaseSeq
    await q.queue.driver.taskLeaseExtend({ droneId: drone.id, leases: [{ id, leaseSeq }], leaseMs: 1 })
    await until(async () => (await q.queue.driver.taskRescue({ graceMs: 0, limit: 10 })).requeued.includes(id), 10_000, 'the rescue')
    drone.resume()
    // The re-claim's handback is announced only once the global queue acknowledged it (the completer's path).
    await log.waitTask('handed-back', id)
    expect(log.task('lease-lost', id)).toHaveLength(1)
    await until(() => {
      try {
        return readFileSync(abortFile, 'utf8') === 'lease-lost'
      } catch {
        return false
      }
    }, 10_000, 'the old run to be aborted')
    // Claimed again (a third time) and dispatched: the drone holds one row of it, under a newer lease.
    await until(() => (drone.holdings().find((h) => h.id === id)?.leaseSeq ?? 0) > leaseSeq + 1, 10_000, 'the next claim')
  })

  it('pause() before start is a warm standby: workers up, nothing claimed, while another drone works; resume() claims at once', async () => {
    const q = await testQueue(backend, 'pause')
    cleanups.push(q.cleanup)
    const make = (name: string) => {
      const d = new Drone({ queue: q.queue, localQueuePath: join(q.dir, `${name}.db`), workers: { a: { module: BEHAVE } }, drone: { ...FAST, name } })
      cleanups.push(() => d.stop())
      return d
    }
    const standby = make('standby')
    standby.pause()
    const standbyLog = new EventLog(standby)
    await standby.start()
    expect(standby.snapshot().paused).toBe(true)
    expect(standby.snapshot().processes).toHaveLength(1)
    const busy = make('busy')
    const busyLog = new EventLog(busy)
    await busy.start()
    const ids = await q.queue.enqueueMany([...Array(30)].map((_, n) => ({ type: 'a', payload: { n } })))
    // Every task done by the other drone: each wake-up reached the paused one too, and it took none.
    await until(() => busyLog.task('succeeded').length === ids.length, 20_000, 'the busy drone to finish')
    expect(standbyLog.task('claimed')).toHaveLength(0)
    await busy.stop()
    standby.resume()
    expect(standby.snapshot().paused).toBe(false)
    const more = await q.queue.enqueueMany([...Array(5)].map((_, n) => ({ type: 'a', payload: { n } })))
    await until(() => standbyLog.task('succeeded').length === more.length, 20_000, 'the resumed drone to run the new tasks')
    // Paused while running: tasks in hand finish, nothing new is claimed.
    const slow = await q.queue.enqueue('a', { sleepMs: 300 })
    await standbyLog.waitTask('started', slow)
    standby.pause()
    const late = await q.queue.enqueue('a', { n: 1 })
    await standbyLog.waitTask('succeeded', slow)
    expect((await q.queue.get(late))?.state).toBe('queued')
    expect(standbyLog.task('claimed', late)).toHaveLength(0)
  })
})
