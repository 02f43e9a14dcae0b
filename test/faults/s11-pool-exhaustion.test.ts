/**
 * Scenario 11 (issue 4): pool exhaustion. (a) A drone with a PostgreSQL pool of 2 connections under 50
 * concurrent completions. (b) Many drones against a low connection limit, emulated with a dedicated
 * role's CONNECTION LIMIT (the shared server's max_connections is left alone). No deadlock, no crash
 * loop, every outcome recorded.
 */
import { join } from 'node:path'
import pg from 'pg'
import { expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { TEST_PG, uniqueSchema } from '../helpers.ts'
import { DroneProc, droneConfig, freshQueue, stopAll, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { readLedger } from './lib/ledger.ts'
import { LEDGER_WORKER, size } from './lib/mode.ts'
import { settle } from './lib/wait.ts'

const DRONES = size(20, 6)
const LIMIT = size(20, 8)
const TASKS_B = size(2_000, 600)

let q: PgQueue
const role = `faults_limited_${Math.random().toString(36).slice(2, 8)}`
const schemaB = uniqueSchema('s11b')
const admin = new pg.Client({ connectionString: TEST_PG, application_name: 'faults-admin' })
const { tmp, drones } = scenario('s11', async () => {
  await q?.cleanup()
  await admin.query(`DROP SCHEMA IF EXISTS "${schemaB}" CASCADE`).catch(() => undefined)
  await admin.query(`REVOKE ALL ON DATABASE "${new URL(TEST_PG).pathname.slice(1)}" FROM "${role}"`).catch(() => undefined)
  await admin.query(`DROP OWNED BY "${role}"`).catch(() => undefined)
  await admin.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined)
  await admin.end().catch(() => undefined)
})

it(`pool of 2 under 50 concurrent completions; ${DRONES} drones against a connection limit of ${LIMIT}`, async () => {
  const t0 = Date.now()
  // (a) 5 processes × 10 slots = 50 tasks finishing together, through 2 connections.
  q = await freshQueue('s11')
  const ledgerA = join(tmp.dir, 'a.ndjson')
  const a = new DroneProc(
    droneConfig(q, 'pool2', tmp.dir, {
      poolSize: 2,
      workers: { work: { module: LEDGER_WORKER, config: { ledger: ledgerA }, processes: 5, concurrency: 10 } },
      drone: { bufferPerWorker: 20, pollMs: 200 },
    }),
  )
  drones.push(a)
  await a.running()
  await q.queue.enqueueMany(Array.from({ length: 1_000 }, (_, n) => ({ type: 'work', payload: { n, sleepMs: 200 } })))
  const ra = await settle(q.admin, q.schema, 120_000)
  const aAlive = a.alive
  await stopAll([a])

  // (b) a role limited to LIMIT connections; it owns its schema (it migrates it, as drones do on start).
  await admin.connect()
  await admin.query(`CREATE ROLE "${role}" LOGIN CONNECTION LIMIT ${LIMIT}`)
  await admin.query(`GRANT CREATE ON DATABASE "${new URL(TEST_PG).pathname.slice(1)}" TO "${role}"`)
  const u = new URL(TEST_PG)
  u.username = role
  const limited = u.toString()
  const setup = await openQueue(`${limited}?schema=${schemaB}`, { migrate: true })
  await setup.enqueueMany(Array.from({ length: TASKS_B }, (_, n) => ({ type: 'work', payload: { n, sleepMs: 20 } })))
  await setup.close()
  const ledgerB = join(tmp.dir, 'b.ndjson')
  const many: DroneProc[] = []
  for (let i = 0; i < DRONES; i++) {
    const d = new DroneProc(
      droneConfig({ schema: schemaB }, `m${i}`, tmp.dir, {
        connectionString: limited,
        poolSize: 2,
        workers: { work: { module: LEDGER_WORKER, config: { ledger: ledgerB }, concurrency: 4 } },
        drone: { pollMs: 500, leaseMs: 10_000, retryBaseMs: 100, retryMaxMs: 1_000 },
      }),
    )
    many.push(d)
    drones.push(d)
  }
  const started = await Promise.allSettled(many.map((d) => d.running(120_000)))
  const up = started.filter((s) => s.status === 'fulfilled').length
  const refusals = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => String((s.reason as Error).message))
  const clearRefusals = refusals.filter((m) => /too many connections|connection limit/i.test(m)).length
  const rb = await settle(admin, schemaB, 180_000)
  const runningAfter = many.filter((d, i) => started[i]!.status === 'fulfilled' && d.alive).length
  const figures = recordFigures(
    {
      id: 's11',
      title: 'Pool exhaustion',
      size: `(a) pool of 2, 50 slots, 1,000 tasks; (b) ${DRONES} drones (pool 2 + LISTEN each) vs a role CONNECTION LIMIT ${LIMIT}, ${TASKS_B.toLocaleString('en-US')} tasks`,
      ...(DRONES < 20 ? { scaled: 'CI subset' } : {}),
      runs: readLedger(ledgerA).length + readLedger(ledgerB).length,
      faults: 2,
      lost: 1_000 - ra.counts.succeeded! + (TASKS_B - rb.counts.succeeded!),
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: null,
      extra: {
        '(a) succeeded': ra.counts.succeeded!,
        '(b) drones up / refused at start (clear error)': `${up} / ${refusals.length} (${clearRefusals})`,
        '(b) drones still running at the end': runningAfter,
        '(b) succeeded': rb.counts.succeeded!,
        ...(refusals.length > clearRefusals ? { '(b) other start errors': refusals.filter((m) => !/too many connections|connection limit/i.test(m))[0]!.slice(0, 160) } : {}),
      },
      checks: {
        '(a) every outcome recorded': ra.settled && ra.counts.succeeded === 1_000,
        '(a) drone alive': aAlive,
        '(b) every outcome recorded': rb.settled && rb.counts.succeeded === TASKS_B,
        '(b) no crash of a running drone': runningAfter === up && up > 0,
        '(b) refused starts say why': clearRefusals === refusals.length,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
