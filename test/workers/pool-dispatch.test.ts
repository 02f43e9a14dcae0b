import { describe, expect, it } from 'vitest'
import { until } from '../helpers.ts'
import { ForkSpawner } from '../../src/workers/fork-spawner.ts'
import type { ToWorker } from '../../src/workers/protocol.ts'
import type { ProcessSpawner, SpawnOptions, WorkerProcessHandle } from '../../src/workers/spawner.ts'
import { fixture, isAlive, makePool, task } from './pool-helpers.ts'

/** The real fork spawner, counting the `run` messages each process receives. */
class CountingSpawner implements ProcessSpawner {
  readonly kind = 'fork' as const
  readonly runs = new Map<string, number>()
  private readonly inner = new ForkSpawner()
  spawn(options: SpawnOptions): WorkerProcessHandle {
    const handle = this.inner.spawn(options)
    const runs = this.runs
    return {
      get pid() {
        return handle.pid
      },
      send(message: ToWorker) {
        if (message.t === 'run') runs.set(options.name, (runs.get(options.name) ?? 0) + 1)
        handle.send(message)
      },
      onMessage: (l) => handle.onMessage(l),
      onExit: (l) => handle.onExit(l),
      kill: () => handle.kill(),
    }
  }
}

describe('WorkerPool dispatch', () => {
  it('runs at most `concurrency` tasks at once per process and holds the prefetched rest', async () => {
    const { pool, rec } = makePool(fixture('sleep.mjs'), { concurrency: 3, prefetch: 3 })
    await pool.start()
    try {
      expect(pool.freeSlots()).toBe(6)
      const tasks = Array.from({ length: 10 }, () => task({ ms: 60 }))
      const dispatched = pool.dispatch(tasks)
      expect(dispatched.map((d) => d.id)).toEqual(tasks.slice(0, 6).map((t) => t.id))
      expect(pool.freeSlots()).toBe(0)
      for (const t of tasks.slice(0, 6)) await rec.outcome(t.id)
      const spans = tasks.slice(0, 6).map((t) => rec.result(t.id) as { start: number; end: number })
      let max = 0
      for (const s of spans) max = Math.max(max, spans.filter((o) => o.start <= s.start && o.end > s.start).length)
      expect(max).toBe(3)
      expect(pool.freeSlots()).toBe(6)
    } finally {
      await pool.stop(1000)
    }
  })

  it('assigns each task to the least-loaded of 3 processes, one run message per process', async () => {
    const spawner = new CountingSpawner()
    // abortable.mjs: `{}` holds its slot until aborted, `{ ms: 1 }` finishes at once.
    const { pool, rec } = makePool(fixture('abortable.mjs'), { processes: 3, concurrency: 2, prefetch: 0, spawner })
    await pool.start()
    try {
      const first = pool.dispatch([task({}), task({}), task({})])
      expect(first.map((d) => d.workerId).sort()).toEqual(['t#1', 't#2', 't#3'])
      expect([...spawner.runs.values()]).toEqual([1, 1, 1])
      // 6 slots in all: 3 more fit, one run message each; the 4th task is left out of the result.
      const burst = [task({ ms: 1 }), task({ ms: 1 }), task({ ms: 1 }), task({ ms: 1 })]
      const placed = pool.dispatch(burst)
      expect(placed.map((d) => d.id)).toEqual(burst.slice(0, 3).map((t) => t.id))
      expect(new Set(placed.map((d) => d.workerId)).size).toBe(3)
      expect([...spawner.runs.values()]).toEqual([2, 2, 2])
      expect(pool.freeSlots()).toBe(0)
      for (const d of placed) expect((await rec.outcome(d.id)).pid).toBe(d.pid)
      // Each holds one again; two more go to two different processes, the next one to the third.
      const more = pool.dispatch([task({}), task({})])
      expect(new Set(more.map((d) => d.workerId)).size).toBe(2)
      const idle = ['t#1', 't#2', 't#3'].find((w) => !more.some((d) => d.workerId === w))!
      const next = pool.dispatch([task({ ms: 1 })])
      expect(next[0]!.workerId).toBe(idle)
      expect((await rec.outcome(next[0]!.id)).pid).toBe(next[0]!.pid)
      expect(new Set([...first, ...more, ...next].map((d) => d.pid)).size).toBe(3)
    } finally {
      await pool.stop(0)
    }
  })

  it('a throwing task fails with its message and stack; permanent errors are flagged', async () => {
    const { pool, rec } = makePool(fixture('throws.mjs'), { concurrency: 4 })
    await pool.start()
    try {
      const plain = task({ n: 1 })
      const permanent = task({ mode: 'permanent' })
      const big = task({ mode: 'bigint' })
      pool.dispatch([plain, permanent, big])
      const a = await rec.outcome(plain.id)
      const b = await rec.outcome(permanent.id)
      const c = await rec.outcome(big.id)
      if (a.k !== 'failed' || b.k !== 'failed' || c.k !== 'failed') throw new Error('expected failures')
      expect(a.error.message).toBe('boom 1')
      expect(a.error.stack).toContain('throws.mjs')
      expect(a.permanent).toBe(false)
      expect(b.error.message).toBe('bad input, do not retry')
      expect(b.permanent).toBe(true)
      expect(c.error.message).toMatch(/result is not serializable to JSON.*BigInt/)
      expect(pool.processes()[0]).toMatchObject({ done: 0, failed: 3, state: 'idle' })
    } finally {
      await pool.stop(1000)
    }
  })

  it('an unhandled rejection in user code fails the task that raised it, and the process lives on', async () => {
    const { pool, rec } = makePool(fixture('throws.mjs'))
    await pool.start()
    try {
      const pid = pool.processes()[0]!.pid
      const t = task({ mode: 'unhandled' })
      pool.dispatch([t])
      const o = await rec.outcome(t.id)
      if (o.k !== 'failed') throw new Error('expected a failure')
      expect(o.error.message).toBe('Unhandled promise rejection in the task: rejected and forgotten')
      const again = task({ n: 2 })
      pool.dispatch([again])
      expect((await rec.outcome(again.id)).pid).toBe(pid)
    } finally {
      await pool.stop(1000)
    }
  })

  it('ctx.log, ctx.progress and the ctx.enqueue round trip (accepted and refused)', async () => {
    const { pool, rec } = makePool(fixture('uses-ctx.ts'))
    pool.on('items', (workerId, pid, items) => {
      const replies: Array<{ reqId: number; id?: string; error?: string }> = []
      for (const i of items) {
        if (i.k !== 'enqueue') continue
        replies.push(i.type === 'refuse-me' ? { reqId: i.reqId, error: 'type refuse-me is not allowed' } : { reqId: i.reqId, id: `child-of-${i.parentId}` })
      }
      if (replies.length) pool.replyEnqueue(workerId, replies, pid)
    })
    await pool.start()
    try {
      const t = task({ child: 'thumb' }, { attempt: 3 })
      pool.dispatch([t])
      await rec.outcome(t.id)
      expect(rec.result(t.id)).toEqual({ childId: `child-of-${t.id}`, refused: 'type refuse-me is not allowed' })
      const mine = rec.items.filter((i) => 'id' in i && i.id === t.id)
      expect(mine.map((i) => i.k)).toEqual(['started', 'log', 'log', 'progress', 'log', 'succeeded'])
      expect(mine[1]).toMatchObject({ k: 'log', level: 'info', message: 'starting', data: { attempt: 3 } })
      expect(mine[3]).toMatchObject({ k: 'progress', value: 0.5 })
      const enqueue = rec.items.find((i) => i.k === 'enqueue' && i.type === 'thumb')
      expect(enqueue).toMatchObject({ parentId: t.id, payload: { from: t.id }, options: { priority: 3 } })
    } finally {
      await pool.stop(1000)
    }
  })

  it('abort: an unstarted task is released, a running one sees its signal abort with the reason', async () => {
    const { pool, rec } = makePool(fixture('abortable.mjs'), { concurrency: 1, prefetch: 2 })
    await pool.start()
    try {
      const running = task({})
      const waiting = task({})
      pool.dispatch([running, waiting])
      await until(() => pool.processes()[0]!.running.includes(running.id), 10_000, 'first task started')
      pool.abort([waiting.id], 'cancelled')
      expect((await rec.outcome(waiting.id)).k).toBe('released')
      expect(rec.items.some((i) => i.k === 'started' && i.id === waiting.id)).toBe(false)
      pool.abort([running.id], 'cancelled')
      const o = await rec.outcome(running.id)
      if (o.k !== 'failed') throw new Error('expected failure')
      expect(o.aborted).toBe('cancelled')
      expect(o.error.message).toBe('Task was cancelled')
      expect(pool.processes()[0]!.inHand).toBe(0)
    } finally {
      await pool.stop(1000)
    }
  })

  it('stop releases unstarted tasks, lets running ones finish within grace, and the processes exit', async () => {
    const { pool, rec } = makePool(fixture('sleep.mjs'), { processes: 2, concurrency: 1, prefetch: 3 })
    await pool.start()
    const pids = pool.processes().map((p) => p.pid)
    const tasks = Array.from({ length: 8 }, () => task({ ms: 600 }))
    expect(pool.dispatch(tasks)).toHaveLength(8)
    await until(() => pool.processes().every((p) => p.running.length === 1), 10_000, 'both running one')
    await pool.stop(5_000)
    const kinds = tasks.map((t) => rec.outcomes.get(t.id)?.k)
    expect(kinds.filter((k) => k === 'succeeded')).toHaveLength(2)
    expect(kinds.filter((k) => k === 'released')).toHaveLength(6)
    expect(rec.lost).toEqual([])
    expect(pool.processes().map((p) => p.state)).toEqual(['exited', 'exited'])
    expect(pool.dispatch([task({})])).toEqual([])
    for (const pid of pids) await until(() => !isAlive(pid), 5_000, `pid ${pid} gone`)
  })

  it('10,000 no-op tasks through 2 processes', async () => {
    const { pool, rec } = makePool(fixture('noop.mjs'), { processes: 2, concurrency: 50, prefetch: 200 })
    await pool.start()
    try {
      const tasks = Array.from({ length: 10_000 }, () => task(null))
      let next = 0
      let done = 0
      const t0 = performance.now()
      const pump = (): void => {
        const free = pool.freeSlots()
        if (free > 0 && next < tasks.length) next += pool.dispatch(tasks.slice(next, next + free)).length
      }
      pool.on('items', (_w, _p, items) => {
        for (const i of items) if (i.k === 'succeeded') done++
        pump()
      })
      pump()
      await until(() => done === tasks.length, 60_000, 'all no-op tasks')
      const ms = performance.now() - t0
      console.log(`10,000 no-op tasks through 2 processes: ${Math.round(ms)} ms, ${Math.round(10_000 / (ms / 1000))} tasks/s`)
      expect(rec.outcomes.size).toBe(10_000)
      const perProcess = pool.processes().map((p) => p.done)
      expect(perProcess.reduce((a, b) => a + b, 0)).toBe(10_000)
      expect(Math.min(...perProcess)).toBeGreaterThan(1_000)
    } finally {
      await pool.stop(1000)
    }
  })
})
