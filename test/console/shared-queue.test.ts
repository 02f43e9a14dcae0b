/**
 * Issue 16, the console on a shared queue, against the real service: example definitions only when
 * asked for and labelled; one record of a drone (the registry row says what Drones says as soon as
 * start returns); bulk enqueue checked line by line before anything is stored; connections shown by
 * what differs (host, database, schema); connection errors classified with the masked address.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { examplesRequested } from '../../src/api/examples.ts'
import { ApiError, ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import { TEST_PG, tempDir } from '../helpers.ts'
import { FIXTURE_WORKER } from '../e2e/harness.ts'

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ApiError)
  return err as ApiError
}

beforeAll(async () => {
  tmp = tempDir('swarmage-console-shared-')
  service = new ConsoleService({ dataDir: join(tmp.dir, 'data'), mode: 'browser' })
  await service.start()
})

afterAll(async () => {
  await service.stop()
  tmp.cleanup()
})

describe('example worker definitions', () => {
  it('are asked for with --examples (npm start passes it) or SWARMAGE_CONSOLE_EXAMPLES=1, never by default', () => {
    expect(examplesRequested(['electron', '.'], {})).toBe(false)
    expect(examplesRequested(['electron', '.', '--examples'], {})).toBe(true)
    expect(examplesRequested([], { SWARMAGE_CONSOLE_EXAMPLES: '1' })).toBe(true)
    expect(examplesRequested([], { SWARMAGE_CONSOLE_EXAMPLES: '0' })).toBe(false)
  })

  it('exist only when asked for, and are labelled as examples', async () => {
    // The default (swarmage console without --examples): none.
    expect(await service.call('workers.list', {})).toEqual([])

    const dir = join(tmp.dir, 'examples-data')
    const withExamples = new ConsoleService({ dataDir: dir, mode: 'browser', seedExamples: true })
    await withExamples.start()
    const defs = await withExamples.call('workers.list', {})
    await withExamples.stop()
    expect(defs.map((d) => d.type).sort()).toEqual(['cpu', 'fanout', 'flaky', 'io'])
    expect(defs.every((d) => d.example === d.type)).toBe(true)

    // The same data folder opened again without --examples: the seeded examples are not offered.
    const without = new ConsoleService({ dataDir: dir, mode: 'browser' })
    await without.start()
    try {
      expect(await without.call('workers.list', {})).toEqual([])
      const err = await apiError(without.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: ['example-cpu'] }))
      expect(err.code).toBe('not-found')
    } finally {
      await without.stop()
    }
  })
})

describe('one record of a drone', () => {
  it('has the registry row say running with push wake-ups, and the same start time, when start returns', async () => {
    const def = await service.call('workers.save', { type: 'shared.echo', module: FIXTURE_WORKER, processes: 1, concurrency: 1, watch: false })
    const view = await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'record-1' })
    try {
      const rows = await service.call('queue.drones', { connectionId: EMBEDDED_ID })
      const row = rows.find((r) => r.id === view.id)
      expect(row).toBeDefined()
      // Before: the row was written while the drone was still starting, and next at a heartbeat 10 s later.
      expect(row!.info).toMatchObject({ state: 'running', signals: view.signals })
      expect(view.state).toBe('running')
      expect(view.startedAt).toBe(row!.startedAt)
      expect((row!.info.types as Array<{ type: string }>).map((t) => t.type)).toEqual(['shared.echo'])
    } finally {
      await service.call('drones.stop', { id: view.id, mode: 'now' })
    }
    // Stopped: the drone unregistered.
    expect((await service.call('queue.drones', { connectionId: EMBEDDED_ID })).some((r) => r.id === view.id)).toBe(false)
  })
})

describe('bulk enqueue', () => {
  it('checks a batch whole, naming the bad line, before storing anything; then stores it', async () => {
    const before = await service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'bulk.t', limit: 10 })
    expect(before.total).toBe(0)
    const tasks = [
      { type: 'bulk.t', payload: { n: 1 } },
      { type: 'bad type!', payload: { n: 2 } },
    ]
    const err = await apiError(service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks, lines: [3, 7] }))
    expect(err.code).toBe('input')
    expect(err.message).toMatch(/^line 7: .*type.*nothing was enqueued/)
    expect(await service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks: tasks.slice(0, 1), dryRun: true })).toEqual({ count: 1, ids: [] })
    expect((await service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'bulk.t', limit: 10 })).total).toBe(0)

    const many = Array.from({ length: 20 }, (_, i) => ({ type: 'bulk.t', payload: { n: i + 1 } }))
    const r = await service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks: many })
    expect(r.count).toBe(20)
    expect(new Set(r.ids).size).toBe(20)
    expect((await service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'bulk.t', limit: 10 })).total).toBe(20)
  })
})

describe('connections shown by what differs', () => {
  it('gives host, database and the schema the address uses, password masked in the full address', async () => {
    const a = await service.call('connections.save', { name: 'a', kind: 'postgres', address: 'postgres://u:sekret@db.example:6432/app?schema=team_a' })
    const b = await service.call('connections.save', { name: 'b', kind: 'postgres', address: 'postgres://u@db.example:6432/app?schema=team_b' })
    const c = await service.call('connections.save', { name: 'c', kind: 'postgres', host: 'db.example', port: 6432, database: 'app', user: 'u' })
    expect(a.target).toEqual({ host: 'db.example:6432', database: 'app', schema: 'team_a', summary: 'db.example:6432/app · schema team_a' })
    expect(b.target.schema).toBe('team_b')
    expect(c.target.schema).toBe('swarmage')
    expect(new Set([a, b, c].map((x) => x.target.summary)).size).toBe(3)
    expect(a.display).toContain('***')
    expect(a.display).not.toContain('sekret')
    expect(JSON.stringify(a.target)).not.toContain('sekret')
    const embedded = (await service.call('connections.list', {}))[0]!
    expect(embedded.target.path).toBe(join(tmp.dir, 'data', 'swarm.db'))
    for (const x of [a, b, c]) await service.call('connections.remove', { id: x.id })
  })
})

describe('connection errors', () => {
  it('names a refused connection with the masked address, not as a fault of the console', async () => {
    const pg = new URL(TEST_PG)
    const down = await service.call('connections.save', { name: 'down', kind: 'postgres', address: `postgres://${pg.username || 'postgres'}:sekret@127.0.0.1:1/db?schema=s1` })
    try {
      for (const call of [
        () => service.call('tasks.list', { connectionId: down.id, limit: 10 }),
        () => service.call('connections.migrate', { id: down.id }),
        () => service.call('tasks.enqueue', { connectionId: down.id, type: 'x', payload: null }),
      ]) {
        const err = await apiError(call())
        expect(err.code).toBe('connection')
        expect(err.message).toMatch(/^cannot connect to postgres:\/\/[^:]+:\*\*\*@127\.0\.0\.1:1\/db\?schema=s1: the connection was refused .*is PostgreSQL running there/)
        expect(err.message).not.toContain('sekret')
      }
      const test = await service.call('connections.test', { id: down.id })
      expect(test.ok === false && test.error).toMatch(/connection was refused/)
    } finally {
      await service.call('connections.remove', { id: down.id })
    }
  })

  it('names an unknown host, a failed login, TLS the server does not offer, and a missing schema', async () => {
    const pg = new URL(TEST_PG)
    const cases = [
      { address: 'postgres://postgres@no-such-host.invalid:5432/test', code: 'connection', says: /host name does not resolve/ },
      { address: `postgres://no_such_role_c16@${pg.host}${pg.pathname}`, code: 'connection', says: /server refused the login.*user and password/ },
      { address: `${TEST_PG}${TEST_PG.includes('?') ? '&' : '?'}schema=no_such_schema_c16`, code: 'schema', says: /no current schema: press Migrate/ },
      // The test server has no TLS: sslmode=verify-full fails the handshake.
      { address: `${TEST_PG}${TEST_PG.includes('?') ? '&' : '?'}sslmode=verify-full`, code: 'connection', says: /TLS handshake failed.*TLS mode/ },
    ]
    for (const c of cases) {
      const conn = await service.call('connections.save', { name: `case-${c.code}`, kind: 'postgres', address: c.address })
      try {
        const err = await apiError(service.call('queue.stats', { connectionId: conn.id }))
        expect(err.code, c.address).toBe(c.code)
        expect(err.message).toMatch(c.says)
      } finally {
        await service.call('connections.remove', { id: conn.id })
      }
    }
  })
})
