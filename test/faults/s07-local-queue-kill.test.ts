/**
 * Scenario 7 (issue 4): a drone SIGKILLed while it writes its local queue (many tiny tasks: every
 * claim, dispatch, start and outcome is a local write). Afterwards the local SQLite database passes
 * PRAGMA integrity_check, and the drone reconciles it with the global queue when it starts again.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { openSqlite } from '../../src/core/sqlite-lib.ts'

import { Feeder } from './lib/feed.ts'
import { DroneProc, doubleOutcomes, droneConfig, freshQueue, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { analyze, readLedger, type Fault } from './lib/ledger.ts'
import { LEDGER_WORKER, size } from './lib/mode.ts'
import { randomPause, settle } from './lib/wait.ts'

const KILLS = size(10, 4)

let q: PgQueue
const { tmp, drones } = scenario('s07', async () => {
  await q?.cleanup()
})

it(`drone killed ${KILLS} times during local-queue writes`, async () => {
  const t0 = Date.now()
  q = await freshQueue('s07')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const localPath = join(tmp.dir, 'd.local.db')
  const start = (k: number): DroneProc => {
    const d = new DroneProc(
      droneConfig(q, `d-r${k}`, tmp.dir, {
        localQueuePath: localPath,
        workers: { work: { module: LEDGER_WORKER, config: { ledger }, processes: 2, concurrency: 16 } },
        drone: { leaseMs: 3_000, retryBaseMs: 20, retryMaxMs: 200, bufferPerWorker: 100, pollMs: 100 },
      }),
    )
    drones.push(d)
    return d
  }
  // Kept topped up, so every kill lands while tasks flow (claims, dispatches, outcomes: local writes).
  const feeder = new Feeder(q.queue, q.admin, q.schema, 'work', {}, { low: 3_000, batch: 3_000 })
  const faults: Fault[] = []
  const integrity: string[] = []
  let rowsAtRestart = 0
  let recoverMs = 0
  for (let k = 0; k < KILLS; k++) {
    await feeder.topUp()
    const d = start(k)
    const startAt = Date.now()
    await d.running()
    if (k > 0) recoverMs = Math.max(recoverMs, Date.now() - startAt) // start includes reconciling
    await randomPause(200, 1_200)
    d.kill('SIGKILL')
    faults.push({ at: Date.now(), drone: d.name, what: 'in flight at a drone SIGKILL' })
    await d.exited
    const db = openSqlite(localPath)
    integrity.push(String(db.pragma('integrity_check', { simple: true })))
    // Rows the restart must reconcile, whatever the local queue's tables are called.
    for (const { name } of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as Array<{ name: string }>) {
      rowsAtRestart += (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n
    }
    db.close()
  }
  // The last restart reconciles and finishes everything.
  const last = start(KILLS)
  await last.running()
  const { counts, settled } = await settle(q.admin, q.schema, 120_000)
  const TASKS = feeder.ids.length
  const runs = readLedger(ledger)
  const doubles = await doubleOutcomes(q.admin, q.schema)
  const a = analyze(runs, faults)
  if (a.unexplained.length) {
    for (const u of a.unexplained.slice(0, 8)) {
      const f = faults.find((f) => f.drone === u.drone)
      const list = runs.filter((r) => r.task === u.task).map((r) => `${r.drone}#${r.attempt} s${f ? r.start - f.at : '?'} e${r.end && f ? r.end - f.at : '-'}`)
      process.stdout.write(`unexplained ${u.task}: ${list.join(' | ')}\n`)
    }
  }
  const figures = recordFigures(
    {
      id: 's07',
      title: 'Drone killed during local-queue writes',
      size: `1 drone × 2 processes × 16, ${TASKS.toLocaleString('en-US')} tiny tasks fed continuously, ${KILLS} kills, restarted on the same local queue`,
      ...(KILLS < 10 ? { scaled: 'CI subset' } : {}),
      runs: a.runs,
      faults: faults.length,
      lost: TASKS - counts.succeeded! - counts.failed!,
      duplicates: a.duplicates.length + a.unexplained.length,
      duplicatesWhy: { ...a.why, ...(a.unexplained.length ? { UNEXPLAINED: a.unexplained.length } : {}) },
      recoverMs,
      extra: { 'same attempt re-run (start unreported)': a.sameAttemptTwice.length, 'integrity_check ok': `${integrity.filter((r) => r === 'ok').length}/${integrity.length}`, 'local rows found at restarts': rowsAtRestart, failed: counts.failed! },
      checks: {
        'local queue never corrupt': integrity.every((r) => r === 'ok'),
        'reconciled: every task final': settled && counts.succeeded === TASKS,
        'no unexplained duplicate': a.unexplained.length === 0,
        'one outcome per attempt': doubles === 0,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
