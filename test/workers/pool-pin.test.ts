/**
 * WorkerPool.pin(): a debug session's process takes every next task of its pool while it can; the
 * others get none until unpin() or until the pinned process stops taking tasks (here: it is killed),
 * when dispatch goes to all of them again by itself. Real processes (fork spawner).
 */
import { describe, expect, it } from 'vitest'
import { until } from '../helpers.ts'
import { fixture, makePool, task } from './pool-helpers.ts'

describe('WorkerPool pin (debug routing)', () => {
  it('sends every task to the pinned process, all processes again after unpin', async () => {
    // abortable.mjs: `{ ms }` finishes after ms; capacity per process is concurrency + prefetch = 2.
    const { pool, rec } = makePool(fixture('abortable.mjs'), { processes: 3, concurrency: 1, prefetch: 1 })
    await pool.start()
    try {
      const [, second] = pool.processes()
      expect(pool.pin(second!.pid)).toBe(true)
      expect(pool.pinnedPid()).toBe(second!.pid)
      // Only the pinned process's room counts: 2 of the pool's 6.
      expect(pool.freeSlots()).toBe(2)
      const tasks = Array.from({ length: 5 }, () => task({ ms: 30 }))
      const placed = pool.dispatch(tasks)
      expect(placed.map((d) => d.id)).toEqual(tasks.slice(0, 2).map((t) => t.id))
      expect(new Set(placed.map((d) => d.workerId))).toEqual(new Set([second!.workerId]))
      expect(pool.freeSlots()).toBe(0)
      for (const d of placed) expect((await rec.outcome(d.id)).pid).toBe(second!.pid)
      // Still pinned once they finished: the next ones go there too, one after another.
      for (const t of tasks.slice(2)) {
        const [d] = pool.dispatch([t])
        expect(d?.pid).toBe(second!.pid)
        await rec.outcome(t.id)
      }

      // Unpinning another pid is a no-op (a newer pin stays); unpinning this one ends it.
      pool.unpin(second!.pid + 1_000_000)
      expect(pool.pinnedPid()).toBe(second!.pid)
      pool.unpin(second!.pid)
      expect(pool.pinnedPid()).toBeUndefined()
      expect(pool.freeSlots()).toBe(6)
      const spread = pool.dispatch([task({ ms: 30 }), task({ ms: 30 }), task({ ms: 30 })])
      expect(new Set(spread.map((d) => d.pid)).size).toBe(3)
      for (const d of spread) await rec.outcome(d.id)
    } finally {
      await pool.stop(1000)
    }
  })

  it('refuses a pid it does not run, and drops the pin when the pinned process dies: nothing waits on it', async () => {
    const { pool, rec } = makePool(fixture('abortable.mjs'), { processes: 3, concurrency: 1, prefetch: 1 })
    await pool.start()
    try {
      expect(pool.pin(process.pid)).toBe(false)
      expect(pool.pinnedPid()).toBeUndefined()
      const [first] = pool.processes()
      expect(pool.pin(first!.pid)).toBe(true)
      // `{}` holds its slot until aborted: the pinned process holds it when it is killed.
      const held = task({})
      expect(pool.dispatch([held])[0]?.pid).toBe(first!.pid)
      process.kill(first!.pid, 'SIGKILL')
      await until(() => rec.lost.some((l) => l.pid === first!.pid), 10_000, 'the killed process reported')
      expect(rec.lost.find((l) => l.pid === first!.pid)?.tasks.map((t) => t.id)).toEqual([held.id])
      // Its replacement (a new pid, no inspector) is not pinned: the other processes take tasks now.
      expect(pool.pinnedPid()).toBeUndefined()
      const next = pool.dispatch([task({ ms: 10 }), task({ ms: 10 })])
      expect(next).toHaveLength(2)
      expect(next.every((d) => d.pid !== first!.pid)).toBe(true)
      for (const d of next) expect((await rec.outcome(d.id)).k).toBe('succeeded')
    } finally {
      await pool.stop(1000)
    }
  })
})
