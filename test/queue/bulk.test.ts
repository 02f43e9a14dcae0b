import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'

// Bulk actions by filter (CONTRACT.md "Operations") on both built-in drivers.
const tmp = tempDir('swarmage-bulk-')
const schema = uniqueSchema('t_bulk')
afterAll(async () => {
  await dropSchema(schema)
  tmp.cleanup()
})

const drivers: Array<[string, () => Promise<Queue>]> = [
  ['sqlite', () => openQueue(`sqlite:${join(tmp.dir, 'bulk.db')}`, { migrate: true })],
  ['postgres', () => openQueue(pgAddress(schema), { migrate: true })],
]

describe.each(drivers)('bulk actions on %s', (_name, open) => {
  it('cancels, retries and deletes exactly the matching tasks, each once, in batches', async () => {
    const queue = await open()
    try {
      const n = 2_000
      const a = await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ type: 'bulk.a', payload: { i, tag: i % 2 ? 'odd' : 'even' }, options: { group: i % 4 === 0 ? 'g0' : 'g1' } })))
      const b = await queue.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ type: 'bulk.b', payload: { i, tag: 'odd' } })))

      const dry = await queue.bulk('cancel', { type: 'bulk.a', search: 'odd' }, { dryRun: true })
      expect(dry).toEqual({ matched: n / 2, changed: 0 })
      expect((await queue.stats()).types['bulk.a']!.queued).toBe(n)

      const batches: number[] = []
      const cancelled = await queue.bulk('cancel', { type: 'bulk.a', search: 'odd' }, { batchSize: 128, onProgress: (p) => batches.push(p.changed) })
      expect(cancelled).toEqual({ matched: n / 2, changed: n / 2 })
      expect(batches.length).toBeGreaterThan(3) // bounded batches, progress after each
      const stats = (await queue.stats()).types
      expect(stats['bulk.a']).toMatchObject({ queued: n / 2, cancelled: n / 2 })
      expect(stats['bulk.b']).toMatchObject({ queued: 300, cancelled: 0 }) // outside the filter: untouched

      // Group filter and the state rules of the single-task retry: only cancelled ones of group g1.
      const retried = await queue.bulk('retry', { state: 'cancelled', group: 'g1' })
      // odd i are never ≡ 0 mod 4, so every cancelled one is g1.
      expect(retried).toEqual({ matched: n / 2, changed: n / 2 })
      const again = await queue.bulk('retry', { type: 'bulk.a' }) // all queued now: matched, none changed
      expect(again).toEqual({ matched: n, changed: 0 })

      const future = new Date(Date.now() + 3600_000).toISOString()
      expect(await queue.bulk('delete', { type: 'bulk.a', after: future })).toEqual({ matched: 0, changed: 0 })
      const deleted = await queue.bulk('delete', { group: 'g0', before: future })
      expect(deleted).toEqual({ matched: n / 4, changed: n / 4 })
      expect(await queue.get(a[0]!)).toBeNull()
      expect(await queue.get(a[1]!)).not.toBeNull()
      expect((await queue.get(b[0]!))?.state).toBe('queued')
      await expect(queue.bulk('retry', { before: 'yesterday' })).rejects.toThrow(/--before "yesterday" is not an ISO-8601 date/)
    } finally {
      await queue.close()
    }
  }, 120_000)

  it('a retry batch whose tasks would share a live key goes task by task: one retried, the other refused', async () => {
    const queue = await open()
    try {
      const first = await queue.enqueue('bulk.k', { n: 1 }, { key: 'same-key' })
      await queue.cancel(first)
      const second = await queue.enqueue('bulk.k', { n: 2 }, { key: 'same-key' }) // the key is free again
      await queue.cancel(second)
      expect(await queue.bulk('retry', { type: 'bulk.k' })).toEqual({ matched: 2, changed: 1 })
      const states = [(await queue.get(first))!.state, (await queue.get(second))!.state].sort()
      expect(states).toEqual(['cancelled', 'queued'])
    } finally {
      await queue.close()
    }
  })

  it("re-checks the filter's state when the batch runs: a task that left it is matched but not changed", async () => {
    const queue = await open()
    try {
      const id = await queue.enqueue('bulk.s', {})
      await queue.cancel(id)
      await queue.retry(id) // queued again since the page of cancelled tasks was (as if) read
      const apply = queue.driver.taskBulkApply?.bind(queue.driver)
      if (apply) {
        expect(await apply({ verb: 'delete', ids: [id], state: 'cancelled' })).toEqual([])
        expect(await apply({ verb: 'cancel', ids: [id], state: 'queued' })).toEqual([id])
      } else {
        // the SQLite driver goes task by task under the single-task rules: nothing to batch
        expect(queue.driver.kind).toBe('sqlite')
      }
      expect((await queue.get(id))!.state).toBe(apply ? 'cancelled' : 'queued')
    } finally {
      await queue.close()
    }
  })
})
