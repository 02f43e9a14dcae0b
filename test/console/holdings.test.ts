/**
 * "What a drone holds" and the postback map (issue #12 item 6), through the console service with real
 * drones and worker processes, on SQLite and PostgreSQL: the holdings' states and pids, the global
 * queue's view of a drone's leases, "hand back" making a buffered task claimable by another drone
 * with nothing lost, and the postback edges with their rates from a chain of types.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError, ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import { PostbackMap } from '../../src/api/postbacks.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema, until } from '../helpers.ts'

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'e2e', 'fixtures')
const HOLD = join(FIXTURES, 'worker.mjs')
const CHAIN = join(FIXTURES, 'chain.mjs')

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
const schema = uniqueSchema('holdings')

beforeAll(async () => {
  tmp = tempDir('swarmage-holdings-')
  service = new ConsoleService({ dataDir: tmp.dir, mode: 'browser' })
  await service.start()
})

afterAll(async () => {
  await service.stop()
  await dropSchema(schema)
  tmp.cleanup()
})

async function connection(backend: 'sqlite' | 'postgres'): Promise<string> {
  if (backend === 'sqlite') return EMBEDDED_ID
  const c = await service.call('connections.save', { name: 'pg', kind: 'postgres', address: pgAddress(schema) })
  await service.call('connections.migrate', { id: c.id })
  return c.id
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ApiError)
  return err as ApiError
}

describe.each(['sqlite', 'postgres'] as const)('what a drone holds (%s)', (backend) => {
  it('lists tasks in hand by state with pids and leases, and hands a buffered one back to another drone', async () => {
    const connectionId = await connection(backend)
    const type = `hold_${backend}`
    // One process, concurrency 1: one task runs, one waits in the process (prefetch), the rest are buffered.
    const def = await service.call('workers.save', { type, module: HOLD, processes: 1, concurrency: 1 })
    const a = await service.call('drones.start', { connectionId, workerIds: [def.id], name: `a-${backend}` })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await service.call('tasks.enqueue', { connectionId, type, payload: { holdMs: 120_000 } })).id)

    await until(async () => {
      const h = await service.call('drones.holdings', { id: a.id })
      return h.counts.running === 1 && h.counts.dispatched === 1 && h.counts.buffered === 3
    }, 20_000, 'one running, one dispatched, three buffered')
    const held = await service.call('drones.holdings', { id: a.id, limit: 4 })
    expect(held).toMatchObject({ source: 'local', droneId: a.id, name: `a-${backend}`, total: 5, limit: 4 })
    // Running first, then dispatched, then buffered; capped at the limit asked for.
    expect(held.tasks.map((t) => t.state)).toEqual(['running', 'dispatched', 'buffered', 'buffered'])
    const pid = (await service.call('drones.list', {})).find((d) => d.id === a.id)!.processes[0]!.pid
    expect(pid).toBeGreaterThan(0)
    const [running, dispatched, buffered] = held.tasks
    expect(running).toMatchObject({ pid, workerId: `${type}#1` })
    expect(running!.startedAt).toBeGreaterThan(0)
    expect(dispatched).toMatchObject({ pid, startedAt: null })
    expect(buffered).toMatchObject({ pid: null, workerId: null, startedAt: null })
    for (const t of held.tasks) {
      expect(ids).toContain(t.id)
      // The lease runs out in the future, at most leaseMs (30 s default) after the read.
      expect(t.leaseExpiresAt - held.at).toBeGreaterThan(0)
      expect(t.leaseExpiresAt - held.at).toBeLessThanOrEqual(30_000)
    }

    // The global queue's view of the same drone: every task in its hands is leased to it (running there).
    const leased = await service.call('queue.droneHoldings', { connectionId, droneId: a.id })
    expect(leased).toMatchObject({ source: 'global', droneId: a.id, total: 5 })
    expect(leased.tasks.map((t) => t.id).sort()).toEqual([...ids].sort())
    for (const t of leased.tasks) expect(t.leaseExpiresAt).toBeGreaterThan(leased.at)
    expect((await service.call('queue.droneHoldings', { connectionId, droneId: 'no-such-drone', limit: 3 })).total).toBe(0)

    // Only a buffered task goes back; a running one is refused with the reason.
    const ranOn = await refusal(service.call('drones.handBack', { id: a.id, taskId: running!.id }))
    expect(ranOn.code).toBe('input')
    expect(ranOn.message).toMatch(/is running .* only a buffered task/)
    expect((await refusal(service.call('drones.handBack', { id: a.id, taskId: '0190a3c4-0000-7000-8000-000000000000' }))).message).toMatch(/does not hold/)

    // Paused, so drone a does not claim it again; then hand it back.
    await service.call('drones.pause', { id: a.id })
    const given = buffered!.id
    expect(await service.call('drones.handBack', { id: a.id, taskId: given })).toEqual({ handedBack: true })
    await until(async () => (await service.call('tasks.get', { connectionId, id: given })).task.state === 'queued', 10_000, 'the task back in the queue')
    const back = (await service.call('tasks.get', { connectionId, id: given })).task
    expect(back.attempts).toBe(0) // a handback uses no attempt
    expect((await service.call('drones.holdings', { id: a.id })).tasks.map((t) => t.id)).not.toContain(given)
    const activity = await service.call('activity.list', {})
    expect(activity.some((e) => e.action === 'drones.handBack' && e.outcome === 'ok' && e.target.includes(given))).toBe(true)

    // Another drone claims it.
    const b = await service.call('drones.start', { connectionId, workerIds: [def.id], name: `b-${backend}` })
    await until(async () => (await service.call('drones.holdings', { id: b.id })).tasks.some((t) => t.id === given), 20_000, 'drone b to hold it')
    const claimed = (await service.call('tasks.get', { connectionId, id: given })).task
    expect(claimed).toMatchObject({ state: 'running', attempts: 1, drone: `b-${backend}` })
    // Nothing lost: a still holds the other four, b the one handed back.
    const aIds = (await service.call('drones.holdings', { id: a.id })).tasks.map((t) => t.id)
    expect([...aIds, given].sort()).toEqual([...ids].sort())

    await service.call('drones.stop', { id: a.id, mode: 'now' })
    await service.call('drones.stop', { id: b.id, mode: 'now' })
    for (const id of ids) await service.call('tasks.cancel', { connectionId, id }).catch(() => undefined)
  })
})

describe('the postback map', () => {
  it('draws which types enqueue which, with counts and rates, from a chain a → b → c', async () => {
    const defs = await Promise.all(['pa', 'pb', 'pc'].map((type) => service.call('workers.save', { type, module: CHAIN, processes: 1, concurrency: 4 })))
    const d = await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: defs.map((x) => x.id), name: 'chain' })
    const roots: string[] = []
    for (let i = 0; i < 3; i++) roots.push((await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'pa', payload: { next: ['pb', 'pc'], children: 2 } })).id)
    // 3 pa → 6 pb → 12 pc.
    await until(async () => {
      const m = await service.call('flow.postbacks', {})
      return m.edges.find((e) => e.to === 'pc')?.count === 12
    }, 30_000, 'twelve pb → pc postbacks')
    const map = await service.call('flow.postbacks', { windowMs: 60_000 })
    expect(map.drones).toContain('chain')
    expect(map.edges.map((e) => [e.from, e.to, e.count])).toEqual([
      ['pb', 'pc', 12],
      ['pa', 'pb', 6],
    ])
    for (const e of map.edges) expect(e.perMinute).toBeCloseTo((e.count * 60_000) / map.windowMs, 0)
    // The children really have those parents in the queue (the map agrees with the task tree).
    const detail = await service.call('tasks.get', { connectionId: EMBEDDED_ID, id: roots[0]! })
    expect(detail.children).toHaveLength(2)
    await service.call('drones.stop', { id: d.id, mode: 'drain' })
  })

  it('sums one-second buckets over the window asked for and forgets what is older than ten minutes', () => {
    let now = 1_000_000
    const held = new Map([['p1', 'a']])
    const map = new PostbackMap((id) => held.get(id), () => now)
    const row = (type: string, parentId: string | null) => ({ id: 'x', type, payloadJson: '{}', priority: 0, runAt: null, delayMs: 0, maxAttempts: 3, key: null, parentId, group: null })
    // Not counted: no parent (an enqueue from outside), or a parent no console drone holds.
    map.enqueued([row('b', 'p1'), row('b', 'p1'), row('c', null), row('c', 'unknown')])
    now += 30_000
    map.enqueued([row('c', 'p1')])
    now += 30_000
    const all = map.view(120_000, [])
    expect(all.edges).toEqual([
      // The map has watched for 60 s of the 120 asked: rates are over what it saw.
      { from: 'a', to: 'b', count: 2, perMinute: 2 },
      { from: 'a', to: 'c', count: 1, perMinute: 1 },
    ])
    expect(all.windowMs).toBe(60_000)
    // A 40-second window sees only the later postback.
    expect(map.view(40_000, []).edges.map((e) => [e.to, e.count])).toEqual([['c', 1]])
    now += 11 * 60_000
    expect(map.view(600_000, []).edges).toEqual([])
  })
})
