import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NotFoundError } from '../../src/core/errors.ts'
import { Drone } from '../../src/drone/drone.ts'
import type { WhyReason } from '../../src/debug/why.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema, until } from '../helpers.ts'

// `queue.why(id)` (CONTRACT.md "Debugging") on both built-in drivers, every reason. A drone is played
// by its own calls to the real driver (register, claim, complete), so each state is exact.
const tmp = tempDir('swarmage-why-')
const schema = uniqueSchema('why')
afterAll(async () => {
  await dropSchema(schema)
  tmp.cleanup()
})

let n = 0
const backends: Array<[string, () => Promise<Queue>]> = [
  ['sqlite', () => openQueue(`sqlite:${join(tmp.dir, `why-${++n}.db`)}`, { migrate: true })],
  ['postgres', () => openQueue(pgAddress(schema), { migrate: true })],
]

describe.each(backends)('queue.why on %s', (_name, open) => {
  let queue: Queue
  let type: string
  beforeEach(async () => {
    queue = await open()
    type = `why.${Math.random().toString(36).slice(2, 8)}` // a type of its own per case (one PG schema)
  })
  afterEach(async () => {
    await queue.close()
  })

  /** Registers a drone run serving `types` (as a drone's heartbeat does). */
  const drone = (id: string, types: string[], info: Record<string, unknown> = {}) =>
    queue.driver.droneUpsert({ drone: { id, name: `drone-${id}`, host: 'h', pid: 1, info: { state: 'running', leaseMs: 30_000, types: types.map((t) => ({ type: t })), ...info } } })
  const claim = (droneId: string, limit = 1, leaseMs = 30_000) =>
    queue.driver.taskClaim({ droneId, droneName: `drone-${droneId}`, wants: [{ type, limit }], leaseMs })
  const codes = async (id: string) => (await queue.why(id)).reasons.map((r) => r.code)
  const reason = async (id: string, code: string): Promise<WhyReason> => {
    const r = (await queue.why(id)).reasons.find((x) => x.code === code)
    expect(r, `reason ${code}`).toBeDefined()
    return r!
  }

  it('waiting for runAt, with no live drone serving the type', async () => {
    const id = await queue.enqueue(type, {}, { delayMs: 120_000 })
    const report = await queue.why(id)
    expect(report).toMatchObject({ id, type, state: 'queued' })
    expect(report.reasons.map((r) => r.code)).toEqual(['run-at', 'no-drone'])
    expect(report.reasons[0]!.message).toMatch(/^waiting for runAt \S+ \(in 1 min 5\d s\)$|^waiting for runAt \S+ \(in 2 min 0 s\)$/)
    expect(report.reasons[1]!.message).toBe(`no live drone serves type ${type} (no drone is live)`)
  })

  it('backoff after attempt N, with the error; a live drone of another type is named as such', async () => {
    await drone('d1', ['other'])
    const id = await queue.enqueue(type, {})
    const [c] = await claim('d1')
    await queue.driver.taskComplete({ droneId: 'd1', completions: [{ id, leaseSeq: c!.leaseSeq, outcome: { kind: 'failed', error: { message: 'boom\nat line 2' }, retryDelayMs: 60_000 } }] })
    const r = await reason(id, 'backoff')
    expect(r).toMatchObject({ attempt: 1, error: 'boom\nat line 2' })
    expect(r.message).toMatch(/^backoff after attempt 1 of 5: boom; retries in (\d+ s|1 min 0 s) \(at /)
    expect((await reason(id, 'no-drone')).message).toMatch(/1 live drone serves other types/)
  })

  it('type paused; next in line once resumed and served', async () => {
    await drone('d1', [type])
    const id = await queue.enqueue(type, {})
    await queue.setTypeSettings(type, { paused: true })
    expect(await codes(id)).toEqual(['type-paused'])
    await queue.setTypeSettings(type, { paused: false })
    const r = await queue.why(id)
    expect(r.reasons).toEqual([expect.objectContaining({ code: 'next-in-line', drones: ['drone-d1'] })])
  })

  it('maxRunning and rate full, naming the limit and how many hold it', async () => {
    await drone('d1', [type])
    await queue.setTypeSettings(type, { maxRunning: 2, rate: '2/1h' })
    const ids = await queue.enqueueMany([{ type }, { type }, { type }].map((t, i) => ({ ...t, payload: { i } })))
    expect(await claim('d1', 5)).toHaveLength(2)
    const full = (await queue.why(ids[2]!)).reasons.filter((r) => r.code === 'limit-full')
    expect(full).toEqual([
      expect.objectContaining({ limit: 'maxRunning', value: 2, holding: 2, message: `maxRunning 2 of type ${type} is full: 2 tasks running` }),
      expect.objectContaining({ limit: 'rate', value: '2/1h', holding: 2, message: `rate 2/1h of type ${type} is full: 2 starts in the window` }),
    ])
  })

  it('group limits full for the task\'s group only', async () => {
    await drone('d1', [type])
    await queue.setTypeSettings(type, { groupMaxRunning: 1, groupRate: '1/1h' })
    const [a1, a2, b1] = await queue.enqueueMany([
      { type, payload: 1, options: { group: 'acme' } },
      { type, payload: 2, options: { group: 'acme' } },
      { type, payload: 3, options: { group: 'beta' } },
    ])
    const claimed = await claim('d1', 1)
    expect(claimed.map((c) => c.id)).toEqual([a1])
    const full = (await queue.why(a2!)).reasons.filter((r) => r.code === 'limit-full')
    expect(full).toEqual([
      expect.objectContaining({ limit: 'groupMaxRunning', group: 'acme', holding: 1, message: 'groupMaxRunning 1 of group acme is full: 1 task running' }),
      expect.objectContaining({ limit: 'groupRate', group: 'acme', holding: 1 }),
    ])
    expect(await codes(b1!)).not.toContain('limit-full')
  })

  it('counts the tasks ahead in claim order: priority, then due time', async () => {
    await drone('d1', [type])
    await queue.enqueueMany([5, 5, 5].map((priority, i) => ({ type, payload: i, options: { priority } })))
    const older = await queue.enqueue(type, 'older', { runAt: new Date(Date.now() - 60_000) })
    const id = await queue.enqueue(type, 'me')
    await queue.enqueue(type, 'later') // same priority, due later: behind it
    await queue.enqueue(type, 'future', { priority: 9, delayMs: 600_000 }) // not due: not ahead
    const r = await reason(id, 'tasks-ahead')
    expect(r).toMatchObject({ ahead: 4, capped: false, message: `4 tasks of type ${type} ahead of it (higher priority, or the same priority and due earlier)` })
    expect(await reason(older, 'tasks-ahead')).toMatchObject({ ahead: 3 })
  })

  it('stops counting the tasks ahead past 10,000', async () => {
    await drone('d1', [type])
    await queue.enqueueMany(Array.from({ length: 10_050 }, (_, i) => ({ type, payload: i, options: { priority: 1 } })))
    const id = await queue.enqueue(type, 'me')
    expect(await reason(id, 'tasks-ahead')).toMatchObject({ ahead: 10_000, capped: true, message: `more than 10,000 tasks of type ${type} ahead of it (higher priority, or the same priority and due earlier)` })
  }, 60_000)

  it('held by drone D: lease countdown and last heartbeat; then expired', async () => {
    await drone('d1', [type])
    const id = await queue.enqueue(type, {})
    await claim('d1', 1, 60_000)
    const r = await reason(id, 'held-by-drone')
    expect(r).toMatchObject({ drone: 'drone-d1', droneId: 'd1', attempt: 1 })
    expect(r.leaseExpiresInMs as number).toBeGreaterThan(50_000)
    expect(r.leaseExpiresInMs as number).toBeLessThanOrEqual(60_000)
    expect(r.lastHeartbeatAgoMs as number).toBeGreaterThanOrEqual(0)
    expect(r.message).toMatch(/^held by drone drone-d1 \(attempt 1 of 5, lease expires in (\d+ s|1 min 0 s), last heartbeat \d+\.\d s ago\)$/)

    const id2 = await queue.enqueue(type, {})
    await queue.driver.droneRemove({ id: 'd1' })
    await claim('d2', 1, 1)
    await until(async () => (await codes(id2)).includes('lease-expired'), 20_000, 'the lease to expire')
    expect((await reason(id2, 'lease-expired')).message).toMatch(/^held by drone drone-d2 whose lease expired .* ago \(the drone is no longer registered\)/)
  })

  it('a drone silent past its lease is not live', async () => {
    await drone('d1', [type], { leaseMs: 1 })
    const id = await queue.enqueue(type, {})
    await until(async () => (await codes(id)).includes('no-drone'), 20_000, 'the drone to count as dead')
    expect(await codes(id)).toEqual(['no-drone'])
  })

  it('lists the types with queued tasks that no live drone serves (the Flow view\'s warning)', async () => {
    const served = `${type}.served`
    const lonely = `${type}.lonely`
    await drone('d1', [served])
    await queue.driver.droneUpsert({ drone: { id: 'd2', name: 'draining', host: 'h', pid: 2, info: { state: 'draining', types: [{ type: lonely }] } } })
    await queue.enqueueMany([{ type: served }, { type: lonely }, { type: lonely }])
    const mine = (await queue.unserved()).filter((u) => u.type.startsWith(type))
    expect(mine).toEqual([{ type: lonely, queued: 2 }])
  })

  it('a real drone\'s heartbeat says which types it serves; once it stops, no drone does', async () => {
    const drone = new Drone({
      queue,
      baseDir: tmp.dir,
      localQueuePath: join(tmp.dir, `local-${type}.db`),
      workers: { [type]: { module: fileURLToPath(new URL('./fixtures/chatty.mjs', import.meta.url)) } },
      drone: { name: `real-${type}`, leaseMs: 2_000 },
    })
    await queue.setTypeSettings(type, { paused: true })
    const id = await queue.enqueue(type, { i: 0 })
    await drone.start()
    try {
      expect(await codes(id)).toEqual(['type-paused'])
    } finally {
      await drone.stop()
    }
    expect(await codes(id)).toEqual(['type-paused', 'no-drone'])
  }, 60_000)

  it('finished tasks say how they ended; an unknown id is not found', async () => {
    await drone('d1', [type])
    const [a, b] = await queue.enqueueMany([{ type, payload: 1 }, { type, payload: 2, options: { maxAttempts: 1 } }])
    const claimed = await claim('d1', 2)
    const seq = (id: string) => claimed.find((c) => c.id === id)!.leaseSeq
    await queue.driver.taskComplete({
      droneId: 'd1',
      completions: [
        { id: a!, leaseSeq: seq(a!), outcome: { kind: 'succeeded', resultJson: '1' } },
        { id: b!, leaseSeq: seq(b!), outcome: { kind: 'failed', error: { message: 'bad input' }, retryDelayMs: null } },
      ],
    })
    expect(await reason(a!, 'succeeded')).toMatchObject({ drone: 'drone-d1' })
    expect((await reason(b!, 'failed')).message).toBe(`failed after 1 of 1 attempts: bad input; \`swarmage retry ${b}\` runs it again`)
    const c = await queue.enqueue(type, 3)
    await queue.cancel(c)
    expect(await codes(c)).toEqual(['cancelled'])
    await expect(queue.why('00000000-0000-4000-8000-000000000000')).rejects.toThrow(NotFoundError)
  })
})
