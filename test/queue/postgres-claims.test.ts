import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClaimedTask } from '../../src/core/task.ts'
import { validateNewTask } from '../../src/core/validate.ts'
import { PostgresDriver } from '../../src/queue/postgres/driver.ts'
import { buildStatements } from '../../src/queue/postgres/sql.ts'
import { LEASE_EXPIRED_FORMAT } from '../../src/queue/maintenance.ts'
import { TEST_PG, dropSchema, uniqueSchema } from '../helpers.ts'

const schema = uniqueSchema('pgclaim')
const drivers: PostgresDriver[] = []
const limits = { maxPayloadBytes: 1 << 20 }

async function open(): Promise<PostgresDriver> {
  const d = await PostgresDriver.open({ connectionString: TEST_PG, schema, poolSize: 4 })
  drivers.push(d)
  return d
}

async function insertMany(d: PostgresDriver, type: string, n: number, payload: (i: number) => unknown = (i) => ({ i })): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i += 1000) {
    const rows = [...Array(Math.min(1000, n - i))].map((_, j) => validateNewTask({ type, payload: payload(i + j) }, limits))
    ids.push(...(await d.taskInsertMany({ tasks: rows })))
  }
  return ids
}

beforeAll(async () => {
  await (await open()).schemaMigrate()
})

afterAll(async () => {
  for (const d of drivers) await d.close()
  await dropSchema(schema)
})

describe('PostgreSQL claims under concurrency', () => {
  it('never hands one task to two of 4 driver instances claiming 2,000 tasks at once', async () => {
    const ds = await Promise.all([...Array(4)].map(() => open()))
    const a = await insertMany(ds[0]!, 'race-a', 1200)
    const b = await insertMany(ds[0]!, 'race-b', 800)
    const drain = async (d: PostgresDriver, k: number): Promise<ClaimedTask[]> => {
      const got: ClaimedTask[] = []
      for (;;) {
        // Uneven batch sizes and both types per call, as drones with different capacity ask.
        const batch = await d.taskClaim({
          droneId: `drone-${k}`,
          droneName: `drone-${k}`,
          wants: [
            { type: 'race-a', limit: 5 + k * 7 },
            { type: 'race-b', limit: 3 + k * 5 },
          ],
          leaseMs: 60_000,
        })
        if (batch.length === 0) return got
        got.push(...batch)
      }
    }
    // Two loops per instance: 8 concurrent claimers over 4 pools.
    const results = await Promise.all([...ds, ...ds].map((d, k) => drain(d, k % 4)))
    const all = results.flat().map((c) => c.id)
    expect(all).toHaveLength(2000)
    expect(new Set(all).size).toBe(2000)
    expect(new Set(all)).toEqual(new Set([...a, ...b]))
    expect(results.filter((r) => r.length > 0).length).toBeGreaterThan(1)
    expect(results.flat().every((c) => c.attempt === 1 && c.leaseSeq === 1)).toBe(true)
    const stats = await ds[0]!.statsGet()
    expect(stats.types['race-a']).toMatchObject({ queued: 0, running: 1200 })
    expect(stats.types['race-b']).toMatchObject({ queued: 0, running: 800 })
  })

  it('plans the hot statements on their indexes, as generic and as custom plans, with stale statistics', async () => {
    const d = drivers[0]!
    await insertMany(d, 'plan', 3000)
    const c = new pg.Client({ connectionString: TEST_PG })
    await c.connect()
    try {
      // Statistics taken while nothing runs: the state a busy queue's planner may see for a while.
      await c.query(`ANALYZE "${schema}".tasks`)
      const st = buildStatements(schema)
      // 500 ids of tasks that exist: a custom plan sees the array's size, a generic plan does not.
      const ids = (await c.query<{ id: string }>(`SELECT id::text AS id FROM "${schema}".tasks WHERE type = 'plan' LIMIT 500`)).rows.map((r) => r.id)
      expect(ids).toHaveLength(500)
      const arr = (xs: readonly unknown[]): string => `'{${xs.join(',')}}'`
      const u = arr(ids)
      const ones = arr(ids.map(() => 1))
      for (const mode of ['force_generic_plan', 'force_custom_plan']) {
        await c.query(`SET plan_cache_mode = ${mode}`)
        const plan = async (text: string, args: string): Promise<string> => {
          await c.query('BEGIN')
          try {
            await c.query(`PREPARE p AS ${text}`)
            const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE p(${args})`)
            return rows.map((r) => r['QUERY PLAN']).join('\n')
          } finally {
            await c.query('ROLLBACK')
            await c.query('DEALLOCATE ALL') // prepared statements outlive the transaction
          }
        }
        const claim = await plan(st.claim.text, `'{plan,other}', '{10,10}', 'x', 'x', 1000`)
        expect(claim, mode).toMatch(/Index Scan using tasks_claim on tasks t/)
        const batch = ids.map((id) => ({ id, lease_seq: 1, kind: 'succeeded', result: [1], error: null, delay_ms: null, worker_pid: null, started_ms: null }))
        const complete = await plan(st.complete.text, `'${JSON.stringify(batch)}'`)
        // The fence: one primary-key probe per input row (the update itself may hash-join a small table).
        const probe = /Index Scan using tasks_pkey on tasks t(_1)?\s[^\n]*\n\s+Index Cond: \(id = (i|c)\.id\)/
        expect(complete, mode).toMatch(probe)
        const extend = await plan(st.leaseExtend.text, `${u}, ${ones}, 1000`)
        expect(extend, mode).toMatch(probe)
        const rescue = await plan(st.rescue.text, `0, 100, '${LEASE_EXPIRED_FORMAT}'`)
        expect(rescue, mode).toMatch(/tasks_rescue/)
        for (const p of [claim, rescue]) expect(p, mode).not.toMatch(/Seq Scan on (tasks|task_attempts)/)
        // A join filter comparing every task with every input row was a measured 1.1 s per 1,000
        // completions (and, as a custom plan for 500 rows, 840 ms per batch).
        for (const p of [complete, extend]) expect(p, mode).not.toMatch(/Join Filter/)
      }
    } finally {
      await c.end()
    }
  })

  it('burns down 20,000 tasks: one round trip per claim batch and per completion batch (timings printed)', async () => {
    const d = drivers[0]!
    const n = 20_000
    let t = performance.now()
    await insertMany(d, 'burn', n, (i) => ({ i, url: `https://example.com/${i}.png` }))
    const insertMs = performance.now() - t
    const peers = [d, await open()]
    t = performance.now()
    // 4 loops (2 per driver instance), like 4 drones: claim 250, complete the batch, repeat.
    const loop = async (q: PostgresDriver, k: number): Promise<number> => {
      let done = 0
      for (;;) {
        const got = await q.taskClaim({ droneId: `b${k}`, droneName: `b${k}`, wants: [{ type: 'burn', limit: 250 }], leaseMs: 60_000 })
        if (got.length === 0) return done
        const { refused } = await q.taskComplete({
          droneId: `b${k}`,
          completions: got.map((c) => ({ id: c.id, leaseSeq: c.leaseSeq, outcome: { kind: 'succeeded' as const, resultJson: '{"ok":true}' } })),
        })
        expect(refused).toEqual([])
        done += got.length
      }
    }
    const counts = await Promise.all([0, 1, 2, 3].map((k) => loop(peers[k % 2]!, k)))
    const burnMs = performance.now() - t
    console.log(
      `[postgres] ${n} tasks: insert ${(n / (insertMs / 1000)).toFixed(0)}/s (batches of 1000); ` +
        `burn-down (4 loops, claim 250 + complete) ${(n / (burnMs / 1000)).toFixed(0)} tasks/s`,
    )
    expect(counts.reduce((x, y) => x + y, 0)).toBe(n)
    expect(await d.taskCount({ type: 'burn', state: 'succeeded' })).toBe(n)
  })
})

describe('PostgreSQL claims: run_at as epoch ms (no Date parsed per claimed task)', () => {
  it('gives runAt in whole ms as Date.getTime() did, and keeps sub-ms order, with and without flow settings', async () => {
    const d = await open()
    const client = new pg.Client(TEST_PG)
    await client.connect()
    try {
      for (const type of ['runat-free', 'runat-lim']) {
        const ids = await insertMany(d, type, 2)
        // Microsecond run_at values within one ms, the later one inserted first.
        await client.query(`UPDATE "${schema}".tasks SET run_at = $2 WHERE id = $1`, [ids[0], '2026-01-01 00:00:00.123900+00'])
        await client.query(`UPDATE "${schema}".tasks SET run_at = $2 WHERE id = $1`, [ids[1], '2026-01-01 00:00:00.123400+00'])
        if (type === 'runat-lim') await d.typeSettingsPut({ type, settings: { paused: false, maxRunning: 10, rate: null, groupMaxRunning: null, groupRate: null } })
        const got = await d.taskClaim({ droneId: 'runat', droneName: 'runat', wants: [{ type, limit: 5 }], leaseMs: 30_000 })
        expect(got.map((t) => t.id)).toEqual([ids[1], ids[0]])
        expect(got.map((t) => t.runAt)).toEqual([Date.parse('2026-01-01T00:00:00.123Z'), Date.parse('2026-01-01T00:00:00.123Z')])
      }
    } finally {
      await client.end()
    }
  })
})
