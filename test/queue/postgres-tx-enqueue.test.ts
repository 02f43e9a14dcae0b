import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import pg from 'pg'
import { openQueue } from '../../src/queue/open.ts'
import { TEST_PG, dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'

// Transactional enqueue (CONTRACT.md "Operations"): the task exists iff the caller's transaction commits.
const schema = uniqueSchema('t_txenq')
const tmp = tempDir('swarmage-txenq-')
afterAll(async () => {
  await dropSchema(schema)
  tmp.cleanup()
})

describe('enqueue inside the caller’s PostgreSQL transaction', () => {
  it('stores on commit, not on rollback, and wakes subscribers on commit', async () => {
    const queue = await openQueue(pgAddress(schema), { migrate: true })
    const client = new pg.Client({ connectionString: TEST_PG })
    await client.connect()
    try {
      await client.query('BEGIN')
      const id = await queue.enqueue('tx.a', { n: 1 }, { client, priority: 3 })
      const [id2, id3] = await queue.enqueueMany([{ type: 'tx.a', payload: { n: 2 } }, { type: 'tx.b', payload: null }], { client })
      expect(await queue.get(id)).toBeNull() // not visible outside the transaction yet
      await client.query('ROLLBACK')
      for (const x of [id, id2!, id3!]) expect(await queue.get(x)).toBeNull()

      const woken: number[] = []
      const sub = await queue.driver.signalSubscribe((s) => {
        if (s.kind === 'tasks' && (!s.types || s.types.includes('tx.c'))) woken.push(performance.now())
      })
      try {
        await client.query('BEGIN')
        const kept = await queue.enqueue('tx.c', { n: 3 }, { client })
        // Give a premature NOTIFY the chance to arrive; none may before the commit.
        await client.query('SELECT pg_sleep(0.2)')
        expect(woken).toEqual([])
        const committedAt = performance.now()
        await client.query('COMMIT')
        expect((await queue.get(kept))?.state).toBe('queued')
        const deadline = committedAt + 2_000
        while (woken.length === 0 && performance.now() < deadline) await new Promise((r) => setImmediate(r))
        expect(woken.length).toBeGreaterThan(0)
        expect(woken[0]! - committedAt).toBeLessThan(100)
      } finally {
        await sub.close()
      }
    } finally {
      await client.end()
      await queue.close()
    }
  })

  it('is refused on SQLite with a clear error', async () => {
    const queue = await openQueue(`sqlite:${join(tmp.dir, 'q.db')}`, { migrate: true })
    try {
      await expect(queue.enqueue('x', {}, { client: {} })).rejects.toThrow(/needs a PostgreSQL queue/)
      expect((await queue.stats()).types.x).toBeUndefined()
    } finally {
      await queue.close()
    }
  })
})
