import { afterAll, describe, expect, it } from 'vitest'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'
import { cli, fails, ok } from './cli.ts'
import { roundTrip } from './round-trip.ts'

const tmp = tempDir('swarmage-cli-pg-')
const schema = uniqueSchema('cli')
const address = pgAddress(schema)
afterAll(async () => {
  tmp.cleanup()
  await dropSchema(schema)
})
const cwd = tmp.dir

describe('swarmage CLI on PostgreSQL', () => {
  it('says the schema is missing (exit 1, naming swarmage migrate) until migrate creates it', async () => {
    const [tasks, enqueue] = await Promise.all([cli(['tasks', '--queue', address], { cwd }), cli(['enqueue', 'x', '--queue', address], { cwd })])
    fails(tasks, 1, /swarmage migrate/)
    fails(enqueue, 1, /swarmage migrate/)

    const first = ok(await cli(['migrate', '--queue', address], { cwd }))
    expect(first).toMatch(/^applied migrations? [\d, ]+ to postgres:\/\//m)
    expect(first).toContain(schema)
    const again = JSON.parse(ok(await cli(['migrate', '--queue', address, '--json'], { cwd }))) as { applied: number[]; version: string }
    expect(again.applied).toEqual([])
    expect(again.version).toMatch(/PostgreSQL/)
  })

  it('enqueue, tasks, task, cancel, retry, stats, delete round-trip with --json', async () => {
    await roundTrip(address, cwd)
  })

  it('names the address (password hidden) and the cause when PostgreSQL refuses the connection', async () => {
    const r = await cli(['stats', '--queue', 'postgres://bob:s3cret@127.0.0.1:1/nowhere'], { cwd })
    const line = fails(r, 1, /cannot connect to the queue at postgres:\/\/bob:\*\*\*@127\.0\.0\.1:1\/nowhere.*ECONNREFUSED/)
    expect(line).not.toContain('s3cret')
  })
})
