import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { SchemaError } from '../../src/core/errors.ts'
import { validateNewTask } from '../../src/core/validate.ts'
import type { QueueSignal } from '../../src/queue/driver.ts'
import { PostgresDriver } from '../../src/queue/postgres/driver.ts'
import { quoteIdent } from '../../src/queue/postgres/ident.ts'
import { LATEST_VERSION, MIGRATIONS } from '../../src/queue/postgres/migrations.ts'
import { TEST_PG, uniqueSchema, until } from '../helpers.ts'
import { runMaintenance } from '../../src/queue/maintenance.ts'

const schemas: string[] = []
const drivers: PostgresDriver[] = []
afterAll(async () => {
  for (const d of drivers) await d.close()
  // Not helpers' dropSchema: one name here contains a double quote.
  for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS ${quoteIdent(s)} CASCADE`)
})

async function open(schema: string): Promise<PostgresDriver> {
  const d = await PostgresDriver.open({ connectionString: TEST_PG, schema, poolSize: 2 })
  drivers.push(d)
  return d
}

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: TEST_PG })
  await c.connect()
  try {
    return (await c.query<R>(text, values)).rows
  } finally {
    await c.end()
  }
}

describe('PostgreSQL schema', () => {
  it('migrates once when 5 connections migrate the same new schema at the same moment', async () => {
    const schema = uniqueSchema('pgmig')
    schemas.push(schema)
    const ds = await Promise.all([...Array(5)].map(() => open(schema)))
    // Connect every pool first, so the five migrations really start together.
    await Promise.all(ds.map((d) => d.ping()))
    const results = await Promise.all(ds.map((d) => d.schemaMigrate()))
    expect(results.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.version))
    expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1)
    const rows = await sql<{ version: number }>(`SELECT version FROM ${quoteIdent(schema)}.migrations ORDER BY version`)
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version))
    for (const d of ds) await d.schemaCheck()
  })

  it('schemaCheck names `swarmage migrate` for a missing or outdated schema, and refuses a newer one', async () => {
    const schema = uniqueSchema('pgcheck')
    schemas.push(schema)
    const d = await open(schema)
    const missing = await d.schemaCheck().catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(SchemaError)
    expect((missing as Error).message).toBe(
      `the PostgreSQL schema '${schema}' is missing: run \`swarmage migrate\` (with the same --queue) to create it`,
    )
    // Other calls on a missing schema fail too (not silently empty), with the relation named.
    await expect(d.taskList({ limit: 1 })).rejects.toThrow(/does not exist/)
    await expect(d.statsGet()).rejects.toThrow(/does not exist/)

    expect(await d.schemaMigrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version) })
    await d.schemaCheck()
    // A named statement that failed before the schema existed works now.
    expect(await d.taskList({ limit: 1 })).toEqual([])
    expect(await d.statsGet()).toEqual({ types: {}, drones: [] })

    await sql(`DELETE FROM ${quoteIdent(schema)}.migrations WHERE version = $1`, [LATEST_VERSION])
    await expect(d.schemaCheck()).rejects.toThrow(
      new RegExp(`schema '${schema}' is outdated \\(version ${MIGRATIONS.at(-2)!.version}, this swarmage needs ${LATEST_VERSION}\\): run \`swarmage migrate\``),
    )
    await sql(`INSERT INTO ${quoteIdent(schema)}.migrations (version, name) VALUES ($1, 'x'), ($2, 'future')`, [LATEST_VERSION, LATEST_VERSION + 1])
    await expect(d.schemaCheck()).rejects.toThrow(/newer than this swarmage knows .*upgrade swarmage/)
    await expect(d.schemaMigrate()).rejects.toBeInstanceOf(SchemaError)
  })

  it('creates the schema with the indexes the hot path relies on', async () => {
    const schema = uniqueSchema('pgidx')
    schemas.push(schema)
    const d = await open(schema)
    await d.schemaMigrate()
    const idx = await sql<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'tasks' ORDER BY indexname`,
      [schema],
    )
    const byName = Object.fromEntries(idx.map((r) => [r.indexname, r.indexdef]))
    expect(byName.tasks_claim).toMatch(/\(type, priority DESC, run_at\) WHERE \(state = 'queued'::text\)/)
    expect(byName.tasks_rescue).toMatch(/\(lease_expires_at\) WHERE \(lease_expires_at IS NOT NULL\)/)
    expect(byName.tasks_list).toMatch(/\(created_at DESC, id DESC\)/)
    expect(byName.tasks_live_key).toMatch(/UNIQUE INDEX .*\(key\) WHERE \(\(key IS NOT NULL\) AND \(state = ANY/)
    expect(byName.tasks_parent).toMatch(/\(parent_id\)/)
    const [opts] = await sql<{ reloptions: string[] }>(
      `SELECT reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'tasks'`,
      [schema],
    )
    expect(opts!.reloptions).toContain('fillfactor=80')
  })

  it('works with a schema name that needs quoting (case, spaces, quotes, dashes)', async () => {
    const schema = `t_Weird "q" -x ${process.pid}`
    schemas.push(schema)
    const d = await open(schema)
    expect(await d.schemaMigrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version) })
    await d.schemaCheck()
    const signals: QueueSignal[] = []
    const sub = await d.signalSubscribe((s) => signals.push(s))
    try {
      expect(sub.mode()).toBe('push')
      const row = validateNewTask({ type: 'weird', payload: { a: "it's" }, options: { key: 'k"1' } }, { maxPayloadBytes: 1 << 20 })
      const [id] = await d.taskInsertMany({ tasks: [row] })
      const [c] = await d.taskClaim({ droneId: 'w', droneName: 'w', wants: [{ type: 'weird', limit: 1 }], leaseMs: 10_000 })
      expect(c).toMatchObject({ id, payloadJson: `{"a":"it's"}` })
      expect(await d.taskComplete({ droneId: 'w', completions: [{ id: id!, leaseSeq: c!.leaseSeq, outcome: { kind: 'succeeded', resultJson: '1' } }] })).toEqual({
        refused: [],
      })
      expect((await d.taskList({ limit: 5, search: "it's" })).map((t) => t.state)).toEqual(['succeeded'])
      expect(await runMaintenance(d, { holder: 'w', batchSize: 10 })).toEqual({ pruned: 0 })
      await until(() => signals.some((s) => s.kind === 'tasks' && s.types?.includes('weird') === true), 5000, 'the wake-up on the weird channel')
    } finally {
      await sub.close()
    }
    const [exists] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [schema])
    expect(exists!.n).toBe(1)
  })
})
