/**
 * Run time is measured in the worker process, on one monotonic clock, from the handler's start to its
 * end (issue 16: a start read from one epoch clock and an end from another gave "-0.46 ms" runs).
 */
import { describe, expect, it } from 'vitest'
import { fixture, makePool, task } from './pool-helpers.ts'

describe('run time from the worker', () => {
  it('reports runMs with every outcome: at least the handler took, never negative', async () => {
    const { pool, rec } = makePool(fixture('sleep.mjs'), { concurrency: 2 })
    await pool.start()
    try {
      const quick = task({ ms: 0 })
      const slow = task({ ms: 40 })
      pool.dispatch([quick, slow])
      await rec.outcome(quick.id)
      await rec.outcome(slow.id)
      const runMs = (id: string) => {
        const item = rec.items.find((i) => i.k === 'succeeded' && i.id === id)
        return item && item.k === 'succeeded' ? item.runMs : undefined
      }
      expect(runMs(quick.id)).toBeGreaterThanOrEqual(0)
      // The handler's own span (Date.now() inside it) is within the monotonic measurement around it.
      const slowResult = rec.result(slow.id) as { start: number; end: number }
      expect(runMs(slow.id)).toBeGreaterThanOrEqual(slowResult.end - slowResult.start - 1)
      expect(runMs(slow.id)).toBeGreaterThanOrEqual(39)
    } finally {
      await pool.stop(1000)
    }
  })
})
