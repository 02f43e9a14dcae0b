/**
 * Scenario 3 (issue 4): every connection of the drones terminated with pg_terminate_backend, several
 * times mid-run; in the full suite also the PostgreSQL server restarted 3 times (pg_ctlcluster; the CI
 * subset never restarts the shared server). Drones reconnect within 10 s, every task completes, no
 * connection leak.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import pg from 'pg'
import { expect, it } from 'vitest'
import { TEST_PG, until } from '../helpers.ts'
import { DroneProc, droneBackends, droneConfig, freshQueue, terminateDroneBackends, type PgQueue, scenario } from './lib/drones.ts'
import { Feeder } from './lib/feed.ts'
import { recordFigures } from './lib/figures.ts'
import { analyze, readLedger, type Fault } from './lib/ledger.ts'
import { FULL, LEDGER_WORKER, size } from './lib/mode.ts'
import { randomPause, settle } from './lib/wait.ts'

const TERMINATIONS = size(5, 3)
const RESTARTS = FULL ? 3 : 0
const POOL = 4

let q: PgQueue
const { tmp, drones } = scenario('s03', async () => {
  await q?.cleanup()
})

/** A fresh admin connection (the old one dies with a server restart), retried while the server comes back. */
async function reconnectAdmin(): Promise<pg.Client> {
  for (;;) {
    const c = new pg.Client({ connectionString: TEST_PG, application_name: 'faults-admin' })
    c.on('error', () => undefined)
    try {
      await c.connect()
      return c
    } catch {
      await c.end().catch(() => undefined)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

it(`PostgreSQL: ${TERMINATIONS} terminations of every drone connection${RESTARTS ? `, ${RESTARTS} server restarts` : ''}`, async () => {
  const t0 = Date.now()
  q = await freshQueue('s03')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  for (const name of ['d1', 'd2']) {
    drones.push(
      new DroneProc(
        droneConfig(q, name, tmp.dir, {
          poolSize: POOL,
          heartbeatMs: 1_000,
          heartbeatTimeoutMs: 1_000,
          queryTimeoutMs: 5_000,
          workers: { work: { module: LEDGER_WORKER, config: { ledger }, processes: 2, concurrency: 4 } },
          drone: { leaseMs: 5_000, retryBaseMs: 50, retryMaxMs: 500, pollMs: 200 },
        }),
      ),
    )
  }
  await Promise.all(drones.map((d) => d.running()))
  const feeder = new Feeder(q.queue, q.admin, q.schema, 'work', { sleepMs: 10 }, { low: 400, batch: 500 })
  await feeder.topUp()
  const baseline = (await droneBackends(q.admin, q.schema)).length
  const faults: Fault[] = []
  const recoveries: number[] = []
  let maxBackends = baseline
  const faultList: Array<'terminate' | 'restart'> = [...Array<'terminate'>(TERMINATIONS).fill('terminate'), ...Array<'restart'>(RESTARTS).fill('restart')]
  const topUp = async (): Promise<void> => {
    for (let i = 0; ; i++) {
      try {
        feeder.admin = q.admin
        return await feeder.topUp()
      } catch (err) {
        if (i >= 50) throw err
        await new Promise((r) => setTimeout(r, 200)) // our own pool reconnecting after a restart
      }
    }
  }
  for (const kind of faultList) {
    await topUp()
    await randomPause(500, 1_500)
    const at = Date.now()
    if (kind === 'terminate') {
      await terminateDroneBackends(q.admin, q.schema)
      faults.push({ at, what: 'connections terminated' })
    } else {
      await q.admin.end().catch(() => undefined)
      execFileSync('pg_ctlcluster', ['15', 'main', 'restart'], { stdio: 'ignore' })
      faults.push({ at, what: 'server restarted' })
      q.admin = await reconnectAdmin()
    }
    // Recovered: a probe batch enqueued right after the fault is completed, through new connections.
    let probe: string[] = []
    for (;;) {
      try {
        probe = await q.queue.enqueueMany(Array.from({ length: 50 }, (_, i) => ({ type: 'work', payload: { probe: i } })))
        break
      } catch {
        await new Promise((r) => setTimeout(r, 100)) // our own pool reconnecting after a restart
      }
    }
    feeder.ids.push(...probe)
    await until(async () => {
      const r = await q.admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${q.schema}".tasks WHERE state = 'succeeded' AND id = ANY($1)`, [probe])
      return Number(r.rows[0]!.n) === probe.length
    }, 30_000, 'the probe batch after the fault').catch(() => undefined)
    recoveries.push(Date.now() - at)
    maxBackends = Math.max(maxBackends, (await droneBackends(q.admin, q.schema)).length)
  }
  const { counts, settled } = await settle(q.admin, q.schema, 120_000)
  // No leak: after the faults the drones hold no more connections than pool + LISTEN each.
  const after = (await droneBackends(q.admin, q.schema)).length
  const runs = readLedger(ledger)
  const a = analyze(runs, faults.map((f) => ({ ...f, drone: 'd1' })).concat(faults.map((f) => ({ ...f, drone: 'd2' }))))
  const total = feeder.ids.length
  const lost = total - counts.succeeded! - counts.failed!
  const slowest = Math.max(...recoveries)
  const figures = recordFigures(
    {
      id: 's03',
      title: 'PostgreSQL connections terminated / server restarted',
      size: `2 drones, ${total.toLocaleString('en-US')} tasks, ${TERMINATIONS} × pg_terminate_backend of every drone connection${RESTARTS ? `, ${RESTARTS} × pg_ctlcluster restart` : ' (no server restart in CI)'}`,
      runs: a.runs,
      faults: faults.length,
      lost,
      duplicates: a.duplicates.length + a.unexplained.length,
      duplicatesWhy: { ...a.why, ...(a.unexplained.length ? { UNEXPLAINED: a.unexplained.length } : {}) },
      recoverMs: slowest,
      extra: { 'backends before/max/after': `${baseline}/${maxBackends}/${after}`, failed: counts.failed! },
      checks: {
        'reconnect within 10 s': slowest < 10_000,
        'every task completes': settled && lost === 0 && counts.failed === 0,
        'no connection leak': after <= 2 * (POOL + 1),
        'drones alive': drones.every((d) => d.alive),
        'no unexplained duplicate': a.unexplained.length === 0,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
