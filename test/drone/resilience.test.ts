import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SwarmageError } from '../../src/core/errors.ts'
import type { TaskEvent, WorkerEvent } from '../../src/core/events.ts'
import { Drone } from '../../src/drone/drone.ts'
import { RESTARTED_ERROR } from '../../src/drone/reconcile.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { until } from '../helpers.ts'
import { BACKENDS, BEHAVE, EventLog, FAST, FIXTURES, testQueue } from './setup.ts'

async function allSucceeded(queue: Queue, ids: string[], timeoutMs = 40_000): Promise<void> {
  await until(async () => {
    for (const id of ids) if ((await queue.get(id))?.state !== 'succeeded') return false
    return true
  }, timeoutMs, `${ids.length} tasks to succeed`)
}

describe.each(BACKENDS)('drone resilience on %s', (backend) => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('two drones on one queue never run a task twice', async () => {
    const q = await testQueue(backend, 'two')
    cleanups.push(q.cleanup)
    const record = join(q.dir, 'runs.txt')
    const make = () => new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE, concurrency: 4 } }, drone: { ...FAST, name: 'twin' } })
    const a = make()
    const b = make()
    cleanups.push(() => a.stop(), () => b.stop())
    await Promise.all([a.start(), b.start()])
    // same name and folder: the second found the first's local queue locked and took -2
    expect([a.name, b.name].sort()).toEqual(['twin', 'twin-2'])
    const ids = await q.queue.enqueueMany(Array.from({ length: 400 }, (_, n) => ({ type: 'alpha', payload: { n, record } })))
    await allSucceeded(q.queue, ids)
    const lines = readFileSync(record, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(400)
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(400)
    const done = [a, b].map((d) => d.snapshot().types[0]!.done)
    expect(done[0]! + done[1]!).toBe(400)
    expect(Math.min(...done)).toBeGreaterThan(0)
  })

  it('a killed worker process fails its attempt, the task is retried and the process replaced', async () => {
    const q = await testQueue(backend, 'crash')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE } }, drone: FAST })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const pid0 = drone.snapshot().processes[0]!.pid
    const id = await q.queue.enqueue('alpha', { crashUntil: 2 })
    await allSucceeded(q.queue, [id])
    const t = (await q.queue.get(id))!
    expect(t.attempts).toBe(2)
    expect((t.result as { pid: number }).pid).not.toBe(pid0)
    expect(log.task('retried', id)).toHaveLength(1)
    const exited = log.events.find((e): e is WorkerEvent => e.kind === 'worker-exited')
    expect(exited?.pid).toBe(pid0)
    const proc = drone.snapshot().processes[0]!
    expect(proc.pid).not.toBe(pid0)
    expect(proc.restarts).toBeGreaterThanOrEqual(1)
    const attempts = await q.queue.attempts(id)
    expect(attempts[0]).toMatchObject({ attempt: 1, outcome: 'retried' })
  })

  it('a task hanging past its timeout fails its attempt and its process is replaced', async () => {
    const q = await testQueue(backend, 'timeout')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE, taskTimeoutMs: 300 } }, drone: FAST })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const pid0 = drone.snapshot().processes[0]!.pid
    // sleepMs ignores ctx.signal: the abort does not end it, so the pool kills the process
    const id = await q.queue.enqueue('alpha', { sleepMs: 30_000 }, { maxAttempts: 1 })
    await log.waitTask('failed', id, 15_000)
    const t = (await q.queue.get(id))!
    expect(t).toMatchObject({ state: 'failed', attempts: 1 })
    expect(t.error!.message).toMatch(/timeout of 300 ms/)
    await until(() => drone.snapshot().processes[0]?.pid !== pid0 && drone.snapshot().processes[0]?.state === 'idle', 10_000, 'a new process')
    const next = await q.queue.enqueue('alpha', { n: 1 })
    await allSucceeded(q.queue, [next])
  })

  it('a task that kills its process as it starts uses an attempt at once: its start is reported before it runs', async () => {
    const q = await testQueue(backend, 'poison')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE } }, drone: FAST })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const id = await q.queue.enqueue('alpha', { crashSyncUntil: 2 })
    await allSucceeded(q.queue, [id])
    expect((await q.queue.get(id))!.attempts).toBe(2)
    // One crash, and it counted: the host sends 'started' before calling run (performance issue).
    expect(log.events.filter((e) => e.kind === 'worker-exited').length).toBeGreaterThanOrEqual(1)
    expect(log.task('started', id)).toHaveLength(2)
    expect(log.task('retried', id)).toHaveLength(1)
  })

  it('completions that fail to reach the queue are retried, never dropped', async () => {
    const q = await testQueue(backend, 'complete-retry')
    cleanups.push(q.cleanup)
    const driver = q.queue.driver
    const real = driver.taskComplete.bind(driver)
    let failures = 0
    // Fault injection on the real driver: the first two batches fail as a dropped connection would.
    driver.taskComplete = async (params) => {
      if (failures < 2) {
        failures++
        throw new SwarmageError('connection reset (injected)', { retryable: true })
      }
      return real(params)
    }
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE, concurrency: 4 } }, drone: FAST })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const ids = await q.queue.enqueueMany(Array.from({ length: 20 }, (_, n) => ({ type: 'alpha', payload: { n } })))
    await allSucceeded(q.queue, ids)
    expect(failures).toBe(2)
    const reported = log.events.filter((e) => e.kind === 'drone-state' && e.error?.message.includes('connection reset'))
    expect(reported).toHaveLength(2)
    expect(reported[0]).toMatchObject({ error: { message: 'completer: connection reset (injected)' } })
    expect(log.task('succeeded')).toHaveLength(20)
  })

  it('a completion refused by the fence emits lease-lost and is not applied', async () => {
    const q = await testQueue(backend, 'fence')
    cleanups.push(q.cleanup)
    // a long lease: the drone does not notice the loss early
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE } }, drone: { ...FAST, leaseMs: 30_000, bufferPerWorker: 1 } })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    const id = await q.queue.enqueue('alpha', { sleepMs: 1_500 })
    await log.waitTask('started', id)
    // the capacity default holds 2 × concurrency: paused, the drone cannot re-claim the rescued task
    // itself before the thief does (it did under load, and the thief's claim came back empty)
    drone.pause()
    const leaseSeq = drone.holdings().find((h) => h.id === id)!.leaseSeq
    const driver = q.queue.driver
    // expire the drone's lease and rescue the task, as if the drone had stalled
    await until(async () => {
      await driver.taskLeaseExtend({ droneId: drone.id, leases: [{ id, leaseSeq }], leaseMs: 1 })
      return (await driver.taskRescue({ graceMs: 0, limit: 10 })).requeued.includes(id)
    }, 10_000, 'the rescue')
    const stolen = await driver.taskClaim({ droneId: 'thief', droneName: 'thief', wants: [{ type: 'alpha', limit: 1 }], leaseMs: 60_000 })
    expect(stolen.map((s) => s.id)).toEqual([id])
    await log.waitTask('lease-lost', id)
    // the drone's run finished, but its outcome was refused: no 'succeeded' event, nothing applied
    expect(log.task('succeeded', id)).toHaveLength(0)
    expect((await q.queue.get(id))!.state).toBe('running')
    const { refused } = await driver.taskComplete({
      droneId: 'thief',
      completions: [{ id, leaseSeq: stolen[0]!.leaseSeq, outcome: { kind: 'succeeded', resultJson: '{"thief":true}' } }],
    })
    expect(refused).toEqual([])
    expect(await q.queue.get(id)).toMatchObject({ state: 'succeeded', result: { thief: true }, attempts: 2 })
    await until(() => drone.snapshot().leases.held === 0, 5_000, 'the local row to go')
  })

  it('a drone killed mid-run is reconciled by its successor: nothing lost', async () => {
    const q = await testQueue(backend, 'restart')
    cleanups.push(q.cleanup)
    // 1 s tasks: the kill lands while the child's first ones still run, however loaded the machine
    const ids = await q.queue.enqueueMany(Array.from({ length: 30 }, (_, n) => ({ type: 'alpha', payload: { n, sleepMs: 1_000 } })))
    const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'drone-child.ts'), q.address, q.dir, 'phoenix'], { stdio: ['ignore', 'pipe', 'inherit'] })
    cleanups.push(() => void child.kill('SIGKILL'))
    let started = 0
    await new Promise<void>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`drone child exited early (${code})`)))
      child.stdout.on('data', (d: Buffer) => {
        started += d.toString().split('started ').length - 1
        if (started >= 2) resolve()
      })
    })
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { alpha: { module: BEHAVE, concurrency: 8 } }, drone: { ...FAST, name: 'phoenix', leaseMs: 5_000 } })
    cleanups.push(() => drone.stop())
    const log = new EventLog(drone)
    await drone.start()
    expect(drone.name).toBe('phoenix')
    // the tasks that were running in the dead drone failed that attempt, with a retry
    const restarted = log.task('retried').filter((e) => e.error?.message === RESTARTED_ERROR)
    expect(restarted.length).toBeGreaterThanOrEqual(1)
    await allSucceeded(q.queue, ids)
    const again = await q.queue.get(restarted[0]!.taskId)
    expect(again!.attempts).toBe(2)
    const history = await q.queue.attempts(restarted[0]!.taskId)
    expect(history[0]).toMatchObject({ outcome: 'retried', error: { message: RESTARTED_ERROR } })
    expect(log.task('handed-back').length + restarted.length).toBeGreaterThanOrEqual(2)
    expect((log.events as TaskEvent[]).every((e) => e.kind !== 'lease-lost')).toBe(true)
  })
})
