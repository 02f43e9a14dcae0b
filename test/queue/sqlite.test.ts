import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SchemaError } from '../../src/core/errors.ts'
import { openSqlite } from '../../src/core/sqlite-lib.ts'
import { validateNewTask } from '../../src/core/validate.ts'
import { openQueue } from '../../src/queue/open.ts'
import { SqliteDriver } from '../../src/queue/sqlite/driver.ts'
import { LATEST_VERSION, MIGRATIONS } from '../../src/queue/sqlite/migrations.ts'
import { tempDir } from '../helpers.ts'
import { driverConformance } from './conformance.ts'
import { runFixture } from './fixtures/spawn.ts'
import { runMaintenance } from '../../src/queue/maintenance.ts'

driverConformance('sqlite', async () => {
  const tmp = tempDir('swarmage-sqlite-')
  // A folder that does not exist yet: open() creates parent folders.
  const path = join(tmp.dir, 'nested', 'queue.db')
  const driver = await SqliteDriver.open({ path })
  return { driver, peer: () => SqliteDriver.open({ path }), cleanup: async () => tmp.cleanup() }
})

describe('SQLite driver specifics', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  async function fresh(): Promise<{ path: string; driver: SqliteDriver }> {
    const tmp = tempDir('swarmage-sqlite-')
    cleanups.push(tmp.cleanup)
    const path = join(tmp.dir, 'q.db')
    const driver = await SqliteDriver.open({ path })
    cleanups.push(() => driver.close())
    return { path, driver }
  }

  it('opens the file in WAL mode and reports its kind and capabilities', async () => {
    const { path, driver } = await fresh()
    await driver.schemaMigrate()
    const raw = openSqlite(path)
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    } finally {
      raw.close()
    }
    expect(driver.kind).toBe('sqlite')
    expect(driver.capabilities).toEqual({ pushSignals: true, shared: true })
    expect((await driver.ping()).version).toMatch(/^SQLite 3\.\d+\.\d+$/)
  })

  it('says `swarmage migrate` when the schema is missing, and applies migrations once', async () => {
    const { path, driver } = await fresh()
    await expect(driver.schemaCheck()).rejects.toThrow(SchemaError)
    await expect(driver.schemaCheck()).rejects.toThrow(/swarmage migrate/)
    await expect(driver.taskGet({ id: 'x' })).rejects.toThrow(SchemaError)
    expect(await driver.schemaMigrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version) })
    expect(await driver.schemaMigrate()).toEqual({ applied: [] })
    await driver.schemaCheck()
    expect(await driver.taskGet({ id: 'x' })).toBeNull()
    const raw = openSqlite(path)
    try {
      expect(raw.prepare('SELECT version FROM migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version))
      // A schema newer than this code is refused too, with a clear message.
      raw.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)').run(LATEST_VERSION + 1, Date.now())
    } finally {
      raw.close()
    }
    await expect(driver.schemaCheck()).rejects.toThrow(/newer than this code/)
  })

  it('is safe when several processes migrate the same new file at once', async () => {
    const tmp = tempDir('swarmage-sqlite-')
    cleanups.push(tmp.cleanup)
    const path = join(tmp.dir, 'race', 'q.db')
    const startAt = Date.now() + 1500
    const procs = [0, 1, 2].map(() => runFixture('migrator.ts', [path, String(startAt)]))
    const codes = await Promise.all(procs.map((p) => p.exited))
    expect(codes, procs.map((p) => p.stderr()).join('\n')).toEqual([0, 0, 0])
    const applied = procs.map((p) => (JSON.parse(p.lines[0]!) as { applied: number[] }).applied)
    // Exactly one process applied each migration; the others found nothing left to do.
    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version))
    const raw = openSqlite(path)
    try {
      expect(raw.prepare('SELECT COUNT(*) FROM migrations').pluck().get()).toBe(MIGRATIONS.length)
    } finally {
      raw.close()
    }
  })

  it('forgets drones silent for a day during maintenance', async () => {
    const { path, driver } = await fresh()
    await driver.schemaMigrate()
    await driver.droneUpsert({ drone: { id: 'gone', name: 'gone', host: 'h', pid: 1 } })
    await driver.droneUpsert({ drone: { id: 'live', name: 'live', host: 'h', pid: 2 } })
    const raw = openSqlite(path)
    try {
      raw.prepare(`UPDATE drones SET last_seen = last_seen - 25 * 3600000 WHERE id = 'gone'`).run()
    } finally {
      raw.close()
    }
    expect(await runMaintenance(driver, { holder: 'm', batchSize: 10 })).toEqual({ pruned: 0 })
    expect((await driver.droneList()).map((d) => d.id)).toEqual(['live'])
  })

  it('is what openQueue opens for sqlite: addresses, creating the schema on first use', async () => {
    const tmp = tempDir('swarmage-sqlite-')
    cleanups.push(tmp.cleanup)
    const queue = await openQueue('sqlite:./deep/er/swarm.db', { baseDir: tmp.dir })
    cleanups.push(() => queue.close())
    expect(queue.kind).toBe('sqlite')
    const id = await queue.enqueue('hello', { who: 'world' }, { priority: 3 })
    expect(await queue.get(id)).toMatchObject({ id, type: 'hello', payload: { who: 'world' }, priority: 3, state: 'queued' })
    expect((await queue.stats()).types.hello).toEqual({ queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 })
  })

  it('moves batches fast: insert, claim and complete 20,000 tasks (timings printed)', async () => {
    const { driver } = await fresh()
    await driver.schemaMigrate()
    const n = 20_000
    const rows = [...Array(n)].map((_, i) => validateNewTask({ type: 'bench', payload: { i, url: `https://example.com/${i}.png` } }, { maxPayloadBytes: 1 << 20 }))
    let t = performance.now()
    for (let i = 0; i < n; i += 1000) await driver.taskInsertMany({ tasks: rows.slice(i, i + 1000) })
    const insertMs = performance.now() - t
    t = performance.now()
    let done = 0
    let claimMs = 0
    let completeMs = 0
    for (;;) {
      const c0 = performance.now()
      const got = await driver.taskClaim({ droneId: 'b', droneName: 'b', wants: [{ type: 'bench', limit: 100 }], leaseMs: 60_000 })
      claimMs += performance.now() - c0
      if (got.length === 0) break
      const c1 = performance.now()
      const { refused } = await driver.taskComplete({ droneId: 'b', completions: got.map((c) => ({ id: c.id, leaseSeq: c.leaseSeq, outcome: { kind: 'succeeded' as const, resultJson: '{"ok":true}' } })) })
      completeMs += performance.now() - c1
      expect(refused).toEqual([])
      done += got.length
    }
    const cycleMs = performance.now() - t
    console.log(
      `[sqlite] ${n} tasks: insert ${(n / (insertMs / 1000)).toFixed(0)}/s (batches of 1000), ` +
        `claim ${(claimMs / (n / 100)).toFixed(2)} ms per 100, complete ${(completeMs / (n / 100)).toFixed(2)} ms per 100, ` +
        `claim+complete ${(n / (cycleMs / 1000)).toFixed(0)} tasks/s`,
    )
    expect(done).toBe(n)
    expect(await driver.taskCount({ state: 'succeeded' })).toBe(n)
  })
})
