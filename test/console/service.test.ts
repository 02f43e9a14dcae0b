/**
 * The console service against a real SQLite queue with real worker processes (the example workers):
 * connections, worker definitions, drones, the live flow, and the task views and actions.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDelta, PushMessage } from '../../src/api/contract.ts'
import { exampleWorkerPaths } from '../../src/api/examples.ts'
import { ApiError, ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import { tempDir, until } from '../helpers.ts'

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
const pushes: Array<{ at: number; m: PushMessage }> = []

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ApiError)
  return err as ApiError
}

function flowTotals(droneId: string, from = 0): Record<string, number> {
  const totals: Record<string, number> = {}
  for (const { m } of pushes.slice(from)) {
    if (m.channel !== 'flow' || m.delta.droneId !== droneId) continue
    for (const t of Object.values(m.delta.types)) {
      for (const k of ['claimed', 'started', 'succeeded', 'failed', 'retried'] as const) totals[k] = (totals[k] ?? 0) + t[k]
    }
  }
  return totals
}

beforeAll(async () => {
  tmp = tempDir('swarmage-console-')
  service = new ConsoleService({ dataDir: tmp.dir, mode: 'browser', seedExamples: true })
  service.subscribe((m) => pushes.push({ at: Date.now(), m }))
  await service.start()
})

afterAll(async () => {
  await service.stop()
  tmp.cleanup()
})

describe('console service', () => {
  it('answers app.info and seeds the example worker definitions on the first run', async () => {
    const info = await service.call('app.info', {})
    expect(info).toMatchObject({ mode: 'browser', dataDir: tmp.dir, plaintextSecrets: false })
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/)
    const defs = await service.call('workers.list', {})
    expect(defs.map((d) => d.type).sort()).toEqual(['cpu', 'fanout', 'flaky', 'io'])
    expect(defs.every((d) => d.moduleExists)).toBe(true)
  })

  it('refuses invalid params with an input error naming the field', async () => {
    const err = await apiError(service.handle('connections.save', { name: 'x', kind: 'postgres', port: 'five' }))
    expect(err.code).toBe('input')
    expect(err.message).toMatch(/port/)
    const unknown = await apiError(service.handle('no.such', {}))
    expect(unknown.code).toBe('input')
    const extra = await apiError(service.handle('drones.list', { surprise: 1 }))
    expect(extra.code).toBe('input')
    // A worker config nested 100,000 deep: an input error naming the field (it was `internal`, a stack overflow)
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = { a: deep }
    const nested = await apiError(service.handle('workers.save', { type: 'deep', module: exampleWorkerPaths().io, config: deep }))
    expect(nested.code).toBe('input')
    expect(nested.message).toMatch(/config: nested deeper than 64 levels/)
    expect((await service.call('workers.list', {})).map((d) => d.type)).not.toContain('deep')
  })

  it('keeps the embedded connection built in', async () => {
    const list = await service.call('connections.list', {})
    expect(list[0]).toMatchObject({ id: EMBEDDED_ID, builtin: true, kind: 'sqlite', path: join(tmp.dir, 'swarm.db') })
    expect((await apiError(service.call('connections.remove', { id: EMBEDDED_ID }))).code).toBe('input')
    // A fresh data folder: the embedded file has no schema until first used or migrated.
    expect(await service.call('connections.test', { id: EMBEDDED_ID })).toMatchObject({ ok: true, schema: 'missing' })
    expect((await service.call('connections.migrate', { id: EMBEDDED_ID })).applied.length).toBeGreaterThan(0)
    const test = await service.call('connections.test', { id: EMBEDDED_ID })
    expect(test).toMatchObject({ ok: true, schema: 'current' })
    expect(test.ok && test.version).toMatch(/sqlite/i)
  })

  it('refuses a worker definition whose module is missing', async () => {
    const err = await apiError(service.call('workers.save', { type: 'ghost', module: join(tmp.dir, 'nope.mjs') }))
    expect(err.code).toBe('input')
    expect(err.message).toMatch(/module: no file at .*nope\.mjs/)
  })

  it('runs a drone with the example workers: demo tasks flow, and the flow deltas count them', async () => {
    const defs = await service.call('workers.list', {})
    const view = await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: defs.map((d) => d.id) })
    expect(view.name).toBe('console-1')
    expect(view.state).toBe('running')
    expect(view.processes.map((p) => p.type).sort()).toEqual(['cpu', 'fanout', 'flaky', 'io'])
    const from = pushes.length

    // Only tasks that cannot fail: io and cpu, so "succeeded" is exact.
    await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'cpu', payload: { rounds: 50 } })
    for (let i = 0; i < 20; i++) await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'io', payload: { ms: 5 } })
    await until(async () => {
      const s = await service.call('queue.stats', { connectionId: EMBEDDED_ID })
      return (s.types.io?.succeeded ?? 0) === 20 && (s.types.cpu?.succeeded ?? 0) === 1
    }, 20_000, 'the tasks to finish')
    await until(() => (flowTotals(view.id, from).succeeded ?? 0) >= 21, 5_000, 'the flow to report them')
    const totals = flowTotals(view.id, from)
    expect(totals.succeeded).toBe(21)
    expect(totals.claimed).toBe(21)
    expect(totals.started).toBe(21)
    const withRun = pushes.slice(from).find((p) => p.m.channel === 'flow' && (p.m.delta.types.io?.runMs.count ?? 0) > 0)
    expect(withRun).toBeDefined()
    const io = (withRun!.m as { delta: FlowDelta }).delta.types.io!
    expect(io.runMs.p50).toBeGreaterThanOrEqual(4)
    expect(io.runMs.p95).toBeGreaterThanOrEqual(io.runMs.p50)
    expect(pushes.some((p) => p.m.channel === 'drones' && p.m.drones.some((d) => d.id === view.id))).toBe(true)

    const demo = await service.call('tasks.demo', { connectionId: EMBEDDED_ID, count: 40 })
    expect(demo.ids).toBe(40)
    const stats = await service.call('queue.stats', { connectionId: EMBEDDED_ID })
    const total = Object.values(stats.types).reduce((n, c) => n + c.queued + c.running + c.succeeded + c.failed + c.cancelled, 0)
    expect(total).toBeGreaterThanOrEqual(61)
    const drones = await service.call('queue.drones', { connectionId: EMBEDDED_ID })
    expect(drones.map((d) => d.name)).toContain('console-1')
  })

  it('shows a fanout task with its logs and children, and a child with its parent', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'fanout', payload: { children: 3, ms: 1 } })
    await until(async () => (await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).task.state === 'succeeded', 20_000, 'fanout')
    const detail = await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })
    expect(detail.children).toHaveLength(3)
    expect(detail.logs.some((l) => /fanning out 3 io tasks/.test(l.message))).toBe(true)
    expect(detail.attempts).toHaveLength(1)
    expect(detail.parent).toBeNull()
    const child = await service.call('tasks.get', { connectionId: EMBEDDED_ID, id: detail.children[0]! })
    expect(child.parent).toEqual({ id, type: 'fanout', state: 'succeeded' })
    expect((await apiError(service.call('tasks.get', { connectionId: EMBEDDED_ID, id: 'no-such-task' }))).code).toBe('not-found')
  })

  it('pages the task list with a keyset cursor and counts the total', async () => {
    for (let i = 0; i < 7; i++) await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'paged', payload: { i } })
    const first = await service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'paged', limit: 4 })
    expect(first.tasks).toHaveLength(4)
    expect(first.total).toBe(7)
    expect(first.totalCapped).toBe(false)
    const last = first.tasks[3]!
    const second = await service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'paged', limit: 4, before: { createdAt: last.createdAt, id: last.id } })
    expect(second.tasks).toHaveLength(3)
    const ids = new Set([...first.tasks, ...second.tasks].map((t) => t.id))
    expect(ids.size).toBe(7)
    const queued = await service.call('tasks.list', { connectionId: EMBEDDED_ID, state: 'queued', type: 'paged' })
    expect(queued.total).toBe(7)
  })

  it('cancels, retries and deletes a task', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'nobody-serves-this', payload: { x: 1 }, options: { priority: 3 } })
    const cancelled = await service.call('tasks.cancel', { connectionId: EMBEDDED_ID, id })
    expect(cancelled.state).toBe('cancelled')
    const retried = await service.call('tasks.retry', { connectionId: EMBEDDED_ID, id })
    expect(retried.state).toBe('queued')
    expect(retried.priority).toBe(3)
    expect(await service.call('tasks.delete', { connectionId: EMBEDDED_ID, id })).toEqual({ deleted: true })
    // Gone already (pruned, or deleted from another tab): false, not an error.
    expect(await service.call('tasks.delete', { connectionId: EMBEDDED_ID, id })).toEqual({ deleted: false })
    expect((await apiError(service.call('tasks.retry', { connectionId: EMBEDDED_ID, id }))).code).toBe('not-found')
    const bad = await apiError(service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'bad type!', payload: {} }))
    expect(bad.code).toBe('input')
  })

  it('keeps flow pushes at about 10 per second per drone under a burst of 5,000 tasks', async () => {
    // A drone of its own, so its flow counts only this burst.
    const def = await service.call('workers.save', { type: 'burst', module: exampleWorkerPaths().io, concurrency: 200, processes: 1 })
    const drone = await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'burst' })
    const from = pushes.length
    const t0 = Date.now()
    // One enqueueMany through the queue (tasks.demo's path), tasks that finish at once.
    const queue = await (service as unknown as { connections: { queue(id: string): Promise<import('../../src/queue/queue.ts').Queue> } }).connections.queue(EMBEDDED_ID)
    await queue.enqueueMany(Array.from({ length: 5000 }, (_, i) => ({ type: 'burst', payload: { ms: 0, i } })))
    await until(() => (flowTotals(drone.id, from).succeeded ?? 0) >= 5000, 60_000, '5,000 tasks to flow')
    const elapsedS = (Date.now() - t0) / 1000
    const flows = pushes.slice(from).filter((p) => p.m.channel === 'flow' && p.m.delta.droneId === drone.id)
    // At most one delta per 100 ms window: ≤ 10/s, plus one for a window cut by the start or end.
    expect(flows.length).toBeLessThanOrEqual(Math.ceil(elapsedS * 10) + 2)
    let maxInOneSecond = 0
    for (let i = 0; i < flows.length; i++) {
      let j = i
      while (j < flows.length && flows[j]!.at - flows[i]!.at < 1000) j++
      maxInOneSecond = Math.max(maxInOneSecond, j - i)
    }
    expect(maxInOneSecond).toBeLessThanOrEqual(12)
    expect(flows.every((f) => (f.m as { delta: FlowDelta }).delta.recent.length <= 50)).toBe(true)
    expect(flowTotals(drone.id, from).succeeded).toBe(5000)
    await service.call('drones.stop', { id: drone.id, mode: 'now' })
  })

  it('restarts a type of workers with the inspector on and returns their inspect URLs', async () => {
    const drone = (await service.call('drones.list', {}))[0]!
    const before = drone.processes.find((p) => p.type === 'cpu')!
    const { inspectUrls } = await service.call('drones.restartWorkers', { id: drone.id, type: 'cpu', inspect: true })
    expect(inspectUrls).toHaveLength(1)
    expect(inspectUrls[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//)
    const after = (await service.call('drones.list', {}))[0]!.processes.find((p) => p.type === 'cpu')!
    expect(after.pid).not.toBe(before.pid)
    // Browser mode has no DevTools opener: it says so, for a known URL only.
    expect(await service.call('drones.openDevTools', { inspectUrl: inspectUrls[0]! })).toEqual({ opened: false, url: inspectUrls[0] })
    expect((await apiError(service.call('drones.openDevTools', { inspectUrl: 'ws://evil.example/x' }))).code).toBe('input')
  })

  it('restarts a watched worker when its module file changes', async () => {
    const module = join(tmp.dir, 'echo.mjs')
    writeFileSync(module, 'export default async (p) => ({ v: 1, p })\n')
    const def = await service.call('workers.save', { type: 'echo', module })
    expect(def).toMatchObject({ type: 'echo', module, watch: true, processes: 1, concurrency: 1, moduleExists: true })
    const view = await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'watcher' })
    const pid = view.processes[0]!.pid
    const from = pushes.length
    writeFileSync(module, 'export default async (p) => ({ v: 2, p })\n')
    await until(() => pushes.slice(from).some((p) => p.m.channel === 'notice' && /echo\.mjs changed/.test(p.m.message)), 10_000, 'the reload notice')
    const now = (await service.call('drones.list', {})).find((d) => d.id === view.id)!
    expect(now.processes[0]!.pid).not.toBe(pid)
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'echo', payload: 1 })
    await until(async () => (await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).task.state === 'succeeded', 10_000, 'echo')
    expect((await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).task.result).toEqual({ v: 2, p: 1 })
    expect(await service.call('drones.stop', { id: view.id, mode: 'drain' })).toEqual({ stopped: true })
    // A stopped drone stays listed with its last figures until dismissed (issue #14).
    const stopped = (await service.call('drones.list', {})).find((d) => d.id === view.id)
    expect(stopped).toMatchObject({ name: 'watcher', state: 'stopped', stoppedAt: expect.any(String) as string })
    expect(stopped!.types.find((t) => t.type === 'echo')).toMatchObject({ done: 1, running: 0 })
    await expect(service.call('drones.stop', { id: view.id, mode: 'drain' })).rejects.toThrow(/no running drone/)
    expect(await service.call('drones.dismiss', { id: view.id })).toEqual({ dismissed: true })
    expect((await service.call('drones.list', {})).some((d) => d.id === view.id)).toBe(false)
    expect(await service.call('drones.dismiss', { id: view.id })).toEqual({ dismissed: false })
    expect(await service.call('workers.remove', { id: def.id })).toEqual({ removed: true })
  })
})

describe('first launch with autostart', () => {
  it('starts the example drone and enqueues demo tasks once; a second launch restores the drone only', async () => {
    const dir = tempDir('swarmage-console-auto-')
    const examples = join(dir.dir, 'examples')
    mkdirSync(examples)
    for (const [type, path] of Object.entries(exampleWorkerPaths())) copyFileSync(path, join(examples, `${type}.mjs`))
    try {
      const first = new ConsoleService({ dataDir: dir.dir, mode: 'desktop', seedExamples: true, autostart: true, examplesDir: examples, firstDemoCount: 30 })
      await first.start()
      const drones = await first.call('drones.list', {})
      expect(drones).toHaveLength(1)
      expect((await first.call('workers.list', {})).every((d) => d.module.startsWith(examples))).toBe(true)
      const count = async (s: ConsoleService) => {
        const stats = await s.call('queue.stats', { connectionId: EMBEDDED_ID })
        return Object.values(stats.types).reduce((n, c) => n + c.queued + c.running + c.succeeded + c.failed + c.cancelled, 0)
      }
      const enqueued = await count(first)
      expect(enqueued).toBeGreaterThanOrEqual(30)
      await first.stop()

      const second = new ConsoleService({ dataDir: dir.dir, mode: 'desktop', seedExamples: true, autostart: true, examplesDir: examples, firstDemoCount: 30 })
      await second.start()
      try {
        const restored = await second.call('drones.list', {})
        expect(restored.map((d) => d.name)).toEqual([drones[0]!.name])
        // No second demo batch: still exactly 30 tasks without a parent (fanout children have one).
        const all = await second.call('tasks.list', { connectionId: EMBEDDED_ID, limit: 1000 })
        expect(all.tasks.filter((t) => t.parentId === null)).toHaveLength(30)
      } finally {
        await second.stop()
      }
    } finally {
      dir.cleanup()
    }
  })

  it('keeps a demo feed flowing while the example drone runs (npm start)', async () => {
    const dir = tempDir('swarmage-console-feed-')
    const service = new ConsoleService({ dataDir: dir.dir, mode: 'browser', seedExamples: true, autostart: true, firstDemoCount: 5, demoFeedPerSecond: 10 })
    try {
      await service.start()
      const roots = async () =>
        (await service.call('tasks.list', { connectionId: EMBEDDED_ID, limit: 1000 })).tasks.filter((t) => t.parentId === null).length
      // 5 from the first batch; the feed adds 10 a second on top.
      await until(async () => (await roots()) >= 25, 20_000, 'the demo feed to add tasks')
      const succeeded = async () => Object.values((await service.call('queue.stats', { connectionId: EMBEDDED_ID })).types).reduce((n, c) => n + c.succeeded, 0)
      await until(async () => (await succeeded()) >= 15, 20_000, 'fed tasks to be worked')
    } finally {
      await service.stop()
      dir.cleanup()
    }
  })
})
