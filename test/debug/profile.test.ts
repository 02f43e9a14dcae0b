import { afterEach, describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { Drone } from '../../src/drone/drone.ts'
import { until } from '../helpers.ts'
import { FAST, testQueue } from '../drone/setup.ts'

// "Profile the next N tasks" (issue #12 item 5) at the engine level: real drones, real worker
// processes, V8's profiler through node:inspector in each of them.
const CRUNCH = fileURLToPath(new URL('./fixtures/crunch.mjs', import.meta.url))

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

async function crunchDrone(processes: number, cleanups: Array<() => Promise<void> | void>) {
  const q = await testQueue('sqlite', 'profile')
  cleanups.push(q.cleanup)
  const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { crunch: { module: CRUNCH, processes, concurrency: 1 } }, drone: FAST })
  cleanups.push(() => drone.stop())
  await drone.start()
  return { q, drone }
}

describe('CPU profiles of worker processes', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('a profile of 20 tasks covers exactly those 20 and names the worker module\'s functions', async () => {
    const { q, drone } = await crunchDrone(1, cleanups)
    const run = drone.profile('crunch', { tasks: 20 })
    expect(run.targets).toHaveLength(1)
    const ids = await q.queue.enqueueMany(Array.from({ length: 30 }, () => ({ type: 'crunch', payload: { ms: 5 } })))
    const parts = await run.done
    expect(parts).toHaveLength(1)
    const part = parts[0]!
    expect(part.error).toBeUndefined()
    expect(part.type).toBe('crunch')
    expect(part.pid).toBe(run.targets[0]!.pid)
    // One process stops by itself at N: exactly the first 20 tasks it ran, each once.
    expect(part.taskIds).toHaveLength(20)
    expect(new Set(part.taskIds).size).toBe(20)
    for (const id of part.taskIds) expect(ids).toContain(id)
    expect(part.endedAt).toBeGreaterThanOrEqual(part.startedAt)

    const profile = JSON.parse(part.profileJson!) as CpuProfile
    expect(profile.samples.length).toBe(part.samples)
    expect(profile.samples.length).toBeGreaterThan(0)
    expect(profile.endTime).toBeGreaterThan(profile.startTime)
    const names = new Set(profile.nodes.map((n) => n.callFrame.functionName))
    expect(names).toContain('crunchPrimesForProfile')
    expect(names).toContain('crunchHandler')
    const frame = profile.nodes.find((n) => n.callFrame.functionName === 'crunchPrimesForProfile')!.callFrame
    expect(frame.url).toMatch(/crunch\.mjs$/)
    // The samples point at nodes of the tree (what DevTools and the flame graph rely on).
    const nodeIds = new Set(profile.nodes.map((n) => n.id))
    expect(profile.samples.every((s) => nodeIds.has(s))).toBe(true)
    await until(async () => (await q.queue.stats()).types.crunch?.succeeded === 30, 60_000, 'every task to succeed')
  }, 90_000)

  it('with two processes, N is split: the parts together cover at least N distinct tasks, then every process stops', async () => {
    const { q, drone } = await crunchDrone(2, cleanups)
    const run = drone.profile('crunch', { tasks: 20 })
    expect(run.targets.map((t) => t.workerId).sort()).toEqual(['crunch#1', 'crunch#2'])
    await q.queue.enqueueMany(Array.from({ length: 60 }, () => ({ type: 'crunch', payload: { ms: 10 } })))
    const parts = await run.done
    expect(parts).toHaveLength(2)
    const all = parts.flatMap((p) => p.taskIds)
    expect(new Set(all).size).toBe(all.length)
    expect(all.length).toBeGreaterThanOrEqual(20)
    // Stopped once the sum reached N: only the tasks finished while the stop was on its way come on top
    // (a few 10 ms tasks per process even on a loaded machine; far fewer than running on to N each).
    expect(all.length).toBeLessThanOrEqual(30)
    for (const p of parts) {
      expect(p.error).toBeUndefined()
      expect(p.taskIds.length).toBeGreaterThan(0)
      expect(p.taskIds.length).toBeLessThanOrEqual(20)
      expect(JSON.parse(p.profileJson!)).toHaveProperty('nodes')
    }
    expect(run.covered()).toBe(all.length)
  }, 90_000)

  it('a profile can be stopped early, and one process can be chosen', async () => {
    const { q, drone } = await crunchDrone(2, cleanups)
    const run = drone.profile('crunch', { tasks: 1000, workerId: 'crunch#2' })
    expect(run.targets).toEqual([expect.objectContaining({ workerId: 'crunch#2' })])
    await q.queue.enqueueMany(Array.from({ length: 10 }, () => ({ type: 'crunch', payload: { ms: 2 } })))
    await until(async () => (await q.queue.stats()).types.crunch?.succeeded === 10, 60_000, 'every task to succeed')
    run.stop()
    const [part] = await run.done
    expect(part!.workerId).toBe('crunch#2')
    expect(part!.taskIds.length).toBeLessThanOrEqual(10)
    expect(run.covered()).toBe(part!.taskIds.length)
    expect(() => drone.profile('nope', { tasks: 1 })).toThrow(/no workers for type "nope"/)
  }, 90_000)
})

describe('heap snapshots of worker processes', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('streams a snapshot that parses, holds what the worker retained, and refuses one above the bound', async () => {
    const { q, drone } = await crunchDrone(1, cleanups)
    await q.queue.enqueue('crunch', { ms: 1, retain: true })
    await until(async () => (await q.queue.stats()).types.crunch?.succeeded === 1, 30_000, 'the task to succeed')
    const chunks: string[] = []
    const shot = drone.heapSnapshot('crunch', { write: (c) => chunks.push(c) })
    const result = await shot.done
    expect(chunks.length).toBeGreaterThan(1)
    const text = chunks.join('')
    expect(result.bytes).toBe(text.length)
    const snapshot = JSON.parse(text) as { snapshot: { meta: unknown; node_count: number }; nodes: number[]; strings: string[] }
    expect(snapshot.snapshot.meta).toBeTruthy()
    expect(snapshot.nodes.length).toBeGreaterThan(1000)
    expect(snapshot.strings).toContain('RetainedForHeapSnapshot')

    const small = drone.heapSnapshot('crunch', { maxBytes: 10_000, write: () => undefined })
    await expect(small.done).rejects.toThrow(/above the bound of 10000 bytes/)
    // The process is still fine afterwards.
    await q.queue.enqueue('crunch', { ms: 1 })
    await until(async () => (await q.queue.stats()).types.crunch?.succeeded === 2, 30_000, 'the next task to succeed')
  }, 90_000)
})
