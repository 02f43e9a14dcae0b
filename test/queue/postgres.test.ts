import { describe, expect, it } from 'vitest'
import { InputError, SchemaError } from '../../src/core/errors.ts'
import { validateNewTask } from '../../src/core/validate.ts'
import { PostgresDriver } from '../../src/queue/postgres/driver.ts'
import { INSERT_STATEMENT_BYTES, chunkByBytes } from '../../src/queue/postgres/insert.ts'
import { openQueue } from '../../src/queue/open.ts'
import { TEST_PG, dropSchema, pgAddress, uniqueSchema } from '../helpers.ts'
import { driverConformance } from './conformance.ts'

driverConformance('postgres', async () => {
  // A fresh schema per case: cases never see each other's rows, and files run in parallel.
  const schema = uniqueSchema('pgconf')
  const open = () => PostgresDriver.open({ connectionString: TEST_PG, schema, poolSize: 4 })
  const driver = await open()
  return { driver, peer: open, cleanup: () => dropSchema(schema) }
})

describe('PostgreSQL driver through openQueue', () => {
  it('says `swarmage migrate` when the schema is missing, and works after migrating', async () => {
    const schema = uniqueSchema('pgopen')
    try {
      const refused = openQueue(pgAddress(schema))
      await expect(refused).rejects.toBeInstanceOf(SchemaError)
      await expect(openQueue(pgAddress(schema))).rejects.toThrow(/schema 't_pgopen_\w+' is missing: run `swarmage migrate`/)
      const queue = await openQueue(pgAddress(schema), { migrate: true })
      try {
        expect(queue.kind).toBe('postgres')
        expect(queue.address).toContain(`(schema ${schema})`)
        const id = await queue.enqueue('hello', { who: 'world' }, { priority: 2 })
        expect(await queue.get(id)).toMatchObject({ id, type: 'hello', payload: { who: 'world' }, priority: 2, state: 'queued' })
        expect((await queue.stats()).types.hello).toEqual({ queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 })
      } finally {
        await queue.close()
      }
      // Now the schema exists: a plain open (the check) succeeds.
      const again = await openQueue(pgAddress(schema))
      await again.close()
    } finally {
      await dropSchema(schema)
    }
  })
})

describe('PostgreSQL inserts too big for one statement', () => {
  it('splits by payload bytes inside one transaction: ids in order, keys deduped across parts, all or nothing', async () => {
    const schema = uniqueSchema('pgbig')
    const d = await PostgresDriver.open({ connectionString: TEST_PG, schema, poolSize: 2 })
    try {
      await d.schemaMigrate()
      const big = 'x'.repeat(900_000)
      const row = (i: number, key?: string) =>
        validateNewTask({ type: 'big', payload: { i, big }, options: key ? { key } : {} }, { maxPayloadBytes: 1 << 20 })
      const rows = [...Array(30)].map((_, i) => row(i, i === 0 || i === 29 ? 'same' : undefined))
      expect(chunkByBytes(rows).length).toBeGreaterThan(2)
      expect(chunkByBytes(rows).every((c) => c.reduce((n, t) => n + t.payloadJson.length * 3, 0) <= INSERT_STATEMENT_BYTES)).toBe(true)
      const ids = await d.taskInsertMany({ tasks: rows })
      expect(ids.slice(0, 29)).toEqual(rows.slice(0, 29).map((r) => r.id))
      expect(ids[29]).toBe(rows[0]!.id)
      expect(await d.taskCount({ type: 'big' })).toBe(29)
      expect(((await d.taskGet({ id: ids[5]! }))!.payload as { i: number }).i).toBe(5)

      // A bad row in the last part (a date PostgreSQL cannot store) refuses the whole batch.
      const bad = [...Array(30)].map((_, i) => row(100 + i))
      bad[29] = { ...bad[29]!, runAt: new Date(-8.64e15) }
      await expect(d.taskInsertMany({ tasks: bad })).rejects.toBeInstanceOf(InputError)
      expect(await d.taskCount({ type: 'big' })).toBe(29)
    } finally {
      await d.close()
      await dropSchema(schema)
    }
  })
})
