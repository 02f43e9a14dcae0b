import { describe, expect, it } from 'vitest'
import { SchemaError } from '../../src/core/errors.ts'
import { PostgresDriver } from '../../src/queue/postgres/driver.ts'
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
