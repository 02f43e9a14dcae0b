import { afterAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { openQueue } from '../../src/queue/open.ts'
import { TEST_PG, dropSchema, pgAddress, uniqueSchema } from '../helpers.ts'

// The SQL function swarmage.enqueue(type, payload, options) (migration 4), for triggers and non-Node services.
const schema = uniqueSchema('t_sqlenq')
afterAll(() => dropSchema(schema))

describe('enqueue from SQL', () => {
  it('inserts a task with its options, dedupes a live key, refuses a bad type, wakes on commit', async () => {
    const queue = await openQueue(pgAddress(schema), { migrate: true })
    const client = new pg.Client({ connectionString: TEST_PG })
    await client.connect()
    const woken: string[][] = []
    const sub = await queue.driver.signalSubscribe((s) => {
      if (s.kind === 'tasks') woken.push(s.types ?? [])
    })
    try {
      const fn = `"${schema}".enqueue`
      const one = async (sql: string, values: unknown[]) => (await client.query<{ id: string }>(sql, values)).rows[0]!.id
      await client.query('BEGIN')
      const id = await one(`SELECT ${fn}($1, $2::jsonb, $3::jsonb) AS id`, ['sql.a', '{"n":1}', '{"priority":7,"maxAttempts":2,"key":"k1","group":"g"}'])
      const dup = await one(`SELECT ${fn}('sql.a', '{"n":2}', '{"key":"k1"}') AS id`, [])
      expect(dup).toBe(id)
      expect(woken).toEqual([])
      await client.query('COMMIT')
      const t = await queue.get(id)
      expect(t).toMatchObject({ type: 'sql.a', payload: { n: 1 }, state: 'queued', priority: 7, maxAttempts: 2, key: 'k1', group: 'g' })
      const later = await one(`SELECT ${fn}('sql.b') AS id`, [])
      expect((await queue.get(later))?.payload).toBeNull()
      const start = Date.now()
      while (!woken.some((w) => w.includes('sql.a')) && Date.now() - start < 2000) await new Promise((r) => setTimeout(r, 5))
      expect(woken.some((w) => w.includes('sql.a'))).toBe(true)
      await expect(client.query(`SELECT ${fn}('bad type!', 'null')`)).rejects.toThrow(/invalid task type bad type!/)
    } finally {
      await sub.close()
      await client.end()
      await queue.close()
    }
  })
})
