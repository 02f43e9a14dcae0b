import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src/core/events.ts'
import { Drone } from '../../src/drone/drone.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { until } from '../helpers.ts'
import { BACKENDS, BEHAVE, EventLog, FAST, testQueue } from './setup.ts'

describe.each(BACKENDS)('drone task flow on %s', (backend) => {
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (stops.length) await stops.pop()!()
  })

  async function setup(workers: ConstructorParameters<typeof Drone>[0]['workers'], drone: Record<string, unknown> = {}) {
    const q = await testQueue(backend, 'flow')
    stops.push(q.cleanup)
    const d = new Drone({ queue: q.queue, workers, baseDir: q.dir, drone: { ...FAST, ...drone } })
    const log = new EventLog(d)
    stops.push(() => d.stop())
    return { queue: q.queue, dir: q.dir, drone: d, log }
  }

  async function settled(queue: Queue, ids: string[], timeoutMs = 30_000): Promise<void> {
    await until(async () => {
      for (const id of ids) {
        const t = await queue.get(id)
        if (!t || !['succeeded', 'failed', 'cancelled'].includes(t.state)) return false
      }
      return true
    }, timeoutMs, `${ids.length} tasks to finish`)
  }

  it('runs 1,000 tasks across 2 types to success and stores their results', async () => {
    const { queue, drone } = await setup({
      alpha: { module: BEHAVE, processes: 2, concurrency: 4 },
      beta: { module: BEHAVE, processes: 1, concurrency: 8 },
    })
    const ids = await queue.enqueueMany(Array.from({ length: 1000 }, (_, n) => ({ type: n % 2 ? 'beta' : 'alpha', payload: { n } })))
    await drone.start()
    expect(drone.state).toBe('running')
    await until(async () => {
      const s = await queue.stats()
      return (s.types.alpha?.succeeded ?? 0) === 500 && (s.types.beta?.succeeded ?? 0) === 500
    }, 45_000, '1,000 successes')
    for (const i of [0, 1, 499, 998, 999]) {
      const t = await queue.get(ids[i]!)
      expect(t).toMatchObject({ state: 'succeeded', attempts: 1 })
      expect((t!.result as { n: number }).n).toBe(i)
    }
    const snap = drone.snapshot()
    // beta: 1 process × concurrency 8 holds 2 × 8 = 16, above bufferPerWorker's 15 (capacity.ts)
    expect(snap.types.map((t) => [t.type, t.capacity, t.done])).toEqual([['alpha', 30, 500], ['beta', 16, 500]])
    expect(snap.processes).toHaveLength(3)
    await until(() => drone.snapshot().leases.held === 0, 5_000, 'local queue to empty')
  })

  it('emits one task\'s events in order, and stores its logs', async () => {
    const { queue, drone, log } = await setup({ alpha: { module: BEHAVE } })
    await drone.start()
    const id = await queue.enqueue('alpha', { n: 1, log: true, progress: true })
    await log.waitTask('succeeded', id)
    const kinds = log.events.filter((e) => (e as TaskEvent).taskId === id).map((e) => e.kind)
    expect(kinds).toEqual(['claimed', 'dispatched', 'started', 'log', 'progress', 'succeeded'])
    const ok = log.task('succeeded', id)[0]!
    expect(ok).toMatchObject({ type: 'alpha', attempt: 1, workerId: 'alpha#1' })
    expect(ok.durationMs).toBeGreaterThanOrEqual(0)
    // Logs are stored before the outcome: when 'succeeded' is seen, the line is already there.
    expect(await queue.logs(id)).toHaveLength(1)
    expect((await queue.logs(id))[0]).toMatchObject({ level: 'info', message: 'hello', data: { n: 1 }, attempt: 1 })
  })

  it('creates postbacks as children with parentId', async () => {
    const { queue, drone } = await setup({ alpha: { module: BEHAVE }, child: { module: BEHAVE } })
    await drone.start()
    const id = await queue.enqueue('alpha', { postbacks: 3 })
    await settled(queue, [id])
    const parent = await queue.get(id)
    const children = (parent!.result as { children: string[] }).children
    expect(children).toHaveLength(3)
    expect((await queue.children(id)).sort()).toEqual([...children].sort())
    await settled(queue, children)
    for (const c of children) expect(await queue.get(c)).toMatchObject({ type: 'child', parentId: id, state: 'succeeded' })
  })

  it('retries failures with backoff, then fails with error and stack; permanent errors never retry', async () => {
    const { queue, drone, log } = await setup({ alpha: { module: BEHAVE } })
    await drone.start()
    const flaky = await queue.enqueue('alpha', { failUntil: 3 })
    const broken = await queue.enqueue('alpha', { fail: 'always' }, { maxAttempts: 3 })
    const permanent = await queue.enqueue('alpha', { fail: 'permanent' })
    await settled(queue, [flaky, broken, permanent])
    expect(await queue.get(flaky)).toMatchObject({ state: 'succeeded', attempts: 3 })
    const b = await queue.get(broken)
    expect(b).toMatchObject({ state: 'failed', attempts: 3, error: { message: 'boom on attempt 3' } })
    expect(b!.error!.stack).toContain('behave.ts')
    const retried = log.task('retried', broken)
    expect(retried.map((e) => e.attempt)).toEqual([1, 2])
    // FAST: base 20 ms → attempt 1 in [10, 20], attempt 2 in [20, 40]
    expect(retried[0]!.retryInMs).toBeGreaterThanOrEqual(10)
    expect(retried[0]!.retryInMs).toBeLessThanOrEqual(20)
    expect(retried[1]!.retryInMs).toBeGreaterThanOrEqual(20)
    expect(retried[1]!.retryInMs).toBeLessThanOrEqual(40)
    expect(log.task('failed', broken)).toHaveLength(1)
    const p = await queue.get(permanent)
    expect(p).toMatchObject({ state: 'failed', attempts: 1, error: { message: 'permanently broken' } })
    expect(log.task('retried', permanent)).toHaveLength(0)
  })

  it('observes priority order with one process of concurrency 1', async () => {
    const { queue, drone, dir } = await setup({ alpha: { module: BEHAVE } }, { bufferPerWorker: 4 })
    const record = join(dir, 'order.txt')
    const priorities = [3, 17, 0, 9, 12, 5, 19, 1, 8, 14, 2, 11, 6, 16, 4, 18, 7, 13, 10, 15]
    const ids = await queue.enqueueMany(priorities.map((priority) => ({ type: 'alpha', payload: { n: priority, record }, options: { priority } })))
    await drone.start()
    await settled(queue, ids)
    const ran = readFileSync(record, 'utf8').trim().split('\n').map((l) => l.split(' ')[0])
    const byId = new Map(ids.map((id, i) => [id, priorities[i]]))
    expect(ran.map((id) => byId.get(id!))).toEqual([...priorities].sort((a, b) => b - a))
  })

  it('cancelling a running task aborts its signal and ends it cancelled', async () => {
    const { queue, drone, log, dir } = await setup({ alpha: { module: BEHAVE } })
    await drone.start()
    const abortFile = join(dir, 'abort.txt')
    const id = await queue.enqueue('alpha', { waitAbort: abortFile })
    await log.waitTask('started', id)
    await queue.cancel(id)
    await log.waitFor((e) => (e.kind === 'cancelled' || e.kind === 'lease-lost') && (e as TaskEvent).taskId === id, 10_000, 'the cancel')
    await until(() => {
      try {
        return readFileSync(abortFile, 'utf8').length > 0
      } catch {
        return false
      }
    }, 10_000, 'the worker to see the abort')
    expect(readFileSync(abortFile, 'utf8')).toBe('cancelled')
    expect(log.task('cancelled', id)).toHaveLength(1)
    // the worker's failure after the abort is not recorded: the task stays cancelled
    await until(() => drone.snapshot().processes[0]!.inHand === 0, 5_000, 'the worker to finish')
    expect(await queue.get(id)).toMatchObject({ state: 'cancelled', error: null })
  })
})
