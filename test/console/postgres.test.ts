/**
 * The console service with PostgreSQL connections (this file's own schema): saving with a password
 * that never comes back, testing good and bad addresses, migrating, running a drone on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Connection } from '../../src/api/contract.ts'
import { exampleWorkerPaths } from '../../src/api/examples.ts'
import { ApiError, ConsoleService } from '../../src/api/service.ts'
import { TEST_PG, dropSchema, tempDir, uniqueSchema, until } from '../helpers.ts'

const schema = uniqueSchema('console_pg')
const SECRET = 'not-a-real-password-7f3a'
let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
let conn: Connection

/** TEST_PG with a password added (trust auth ignores it), so the secret path is exercised. */
function withPassword(address: string, password: string): string {
  const url = new URL(address)
  if (!url.username) url.username = 'postgres'
  url.password = password
  return url.toString()
}

beforeAll(async () => {
  tmp = tempDir('swarmage-console-pg-')
  service = new ConsoleService({ dataDir: tmp.dir, mode: 'browser', seedExamples: false })
  await service.start()
})

afterAll(async () => {
  await service.stop()
  await dropSchema(schema)
  tmp.cleanup()
})

describe('console service on PostgreSQL', () => {
  it('saves a connection whose password never comes back out', async () => {
    conn = await service.call('connections.save', { name: 'test pg', kind: 'postgres', address: withPassword(TEST_PG, SECRET), schema })
    expect(conn).toMatchObject({ kind: 'postgres', builtin: false, hasPassword: true, schema })
    const listed = await service.call('connections.list', {})
    const text = JSON.stringify(listed)
    expect(text).not.toContain(SECRET)
    expect(listed.find((c) => c.id === conn.id)?.display).toMatch(/\*\*\*@/)
    // Saved encrypted: the settings file does not contain it either.
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(`${tmp.dir}/console.db`).includes(SECRET)).toBe(false)
  })

  it('tests the connection: reachable, schema missing until migrated', async () => {
    const before = await service.call('connections.test', { id: conn.id })
    expect(before).toMatchObject({ ok: true, schema: 'missing' })
    expect(before.ok && before.version).toMatch(/PostgreSQL/i)
    // Using it before migrating says so with the schema code.
    const err = await service.call('queue.stats', { connectionId: conn.id }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('schema')
    const { applied } = await service.call('connections.migrate', { id: conn.id })
    expect(applied.length).toBeGreaterThan(0)
    expect(await service.call('connections.test', { id: conn.id })).toMatchObject({ ok: true, schema: 'current' })
  })

  it('builds an address from fields (with sslmode and schema) and tests it without storing the password', async () => {
    const u = new URL(TEST_PG)
    const fields = { name: 'fields', kind: 'postgres' as const, host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: u.username || 'postgres', password: SECRET, sslmode: 'disable' as const, schema }
    expect(await service.call('connections.test', fields)).toMatchObject({ ok: true, schema: 'current' })
    const saved = await service.call('connections.save', fields)
    expect(saved.display).toBe(`postgres://${fields.user}:***@${u.host}/${fields.database}?sslmode=disable&schema=${schema}`)
    expect(JSON.stringify(saved)).not.toContain(SECRET)
    expect(await service.call('connections.test', { id: saved.id })).toMatchObject({ ok: true })
    expect(await service.call('connections.remove', { id: saved.id })).toEqual({ removed: true })
  })

  it('gives ok:false with a clear error for an address where nothing listens, without storing it', async () => {
    const result = await service.call('connections.test', { name: 'nowhere', kind: 'postgres', host: '127.0.0.1', port: 1, user: 'x', password: SECRET })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error).toMatch(/cannot connect to postgres:\/\/x:\*\*\*@127\.0\.0\.1:1\/.*ECONNREFUSED/)
      expect(result.error).not.toContain(SECRET)
    }
    expect((await service.call('connections.list', {})).map((c) => c.name)).not.toContain('nowhere')
  })

  it('keeps the password when a connection is edited without one, and can run a drone on it', async () => {
    const edited = await service.call('connections.save', { id: conn.id, name: 'renamed', kind: 'postgres', address: TEST_PG, schema })
    expect(edited).toMatchObject({ name: 'renamed', hasPassword: true })
    const def = await service.call('workers.save', { type: 'io', module: exampleWorkerPaths().io, concurrency: 20 })
    const drone = await service.call('drones.start', { connectionId: conn.id, workerIds: [def.id] })
    // A connection in use cannot be changed or removed under its drone.
    const busy = await service.call('connections.remove', { id: conn.id }).catch((e: unknown) => e as ApiError)
    expect((busy as ApiError).code).toBe('input')
    expect((busy as ApiError).message).toMatch(/console-1 runs on it/)
    const { ids } = await service.call('tasks.demo', { connectionId: conn.id, count: 10 })
    expect(ids).toBe(10)
    for (let i = 0; i < 10; i++) await service.call('tasks.enqueue', { connectionId: conn.id, type: 'io', payload: { ms: 1 } })
    await until(async () => ((await service.call('queue.stats', { connectionId: conn.id })).types.io?.succeeded ?? 0) >= 10, 20_000, 'io tasks on PostgreSQL')
    const page = await service.call('tasks.list', { connectionId: conn.id, type: 'io', state: 'succeeded', limit: 5 })
    expect(page.tasks).toHaveLength(5)
    expect(page.total).toBeGreaterThanOrEqual(10)
    const drones = await service.call('queue.drones', { connectionId: conn.id })
    expect(drones.map((d) => d.id)).toContain(drone.id)
    await service.call('drones.stop', { id: drone.id, mode: 'now' })
    expect(await service.call('connections.remove', { id: conn.id })).toEqual({ removed: true })
    expect((await service.call('connections.list', {})).map((c) => c.id)).toEqual(['embedded'])
  })
})
