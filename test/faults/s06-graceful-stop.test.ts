/**
 * Scenario 6 (issue 4): graceful stop (SIGTERM) with 500 tasks buffered: every unstarted one handed
 * back without using an attempt, running ones finish; a second SIGTERM stops at once.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { until } from '../helpers.ts'
import { DroneProc, droneConfig, freshQueue, stateCounts, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { readLedger } from './lib/ledger.ts'
import { LEDGER_WORKER } from './lib/mode.ts'

const BUFFERED = 500

let q: PgQueue
const { tmp, drones } = scenario('s06', async () => {
  await q?.cleanup()
})

it(`graceful stop with ${BUFFERED} tasks buffered; a second signal stops at once`, async () => {
  const t0 = Date.now()
  q = await freshQueue('s06')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const worker = { module: LEDGER_WORKER, config: { ledger }, concurrency: 2, taskTimeoutMs: 120_000 }
  const opts = { bufferPerWorker: BUFFERED + 2, graceMs: 20_000, leaseMs: 10_000, pollMs: 200 }

  // 1. SIGTERM: 2 running tasks finish, 500 buffered ones go back unused.
  const d1 = new DroneProc(droneConfig(q, 'd1', tmp.dir, { workers: { work: worker }, drone: opts, snapshotMs: 100 }))
  drones.push(d1)
  await d1.running()
  const ids = await q.queue.enqueueMany(Array.from({ length: BUFFERED + 2 }, (_, n) => ({ type: 'work', payload: { n, sleepMs: 1_500 } })))
  await d1.waitFor((l) => l.ev === 'snapshot' && (l.leases as { held: number }).held === BUFFERED + 2, 30_000, 'every task in hand')
  await until(() => readLedger(ledger).length >= 2, 10_000, 'two tasks running')
  const termAt = Date.now()
  d1.kill('SIGTERM')
  const exit1 = await d1.exited
  const stopMs = Date.now() - termAt
  const c1 = await stateCounts(q.admin, q.schema, 'work')
  const started = new Set(readLedger(ledger).map((r) => r.task))
  const handedBack = await q.admin.query<{ attempts: number; n: string }>(
    `SELECT attempts, count(*) AS n FROM "${q.schema}".tasks WHERE type = 'work' AND state = 'queued' GROUP BY attempts`,
  )
  const attemptsUsed = handedBack.rows.reduce((n, r) => n + r.attempts * Number(r.n), 0)

  // 2. SIGTERM twice: the second stops at once, even with 60 s tasks running and a 20 s grace.
  const slowIds = await q.queue.enqueueMany(Array.from({ length: 100 }, (_, n) => ({ type: 'slow', payload: { n, sleepMs: 60_000 } })))
  const d2 = new DroneProc(droneConfig(q, 'd2', tmp.dir, { workers: { slow: worker }, drone: opts, snapshotMs: 100 }))
  drones.push(d2)
  await d2.running()
  await d2.waitFor((l) => l.ev === 'snapshot' && (l.leases as { held: number }).held === 100, 30_000, 'the slow tasks in hand')
  await until(() => readLedger(ledger).filter((r) => slowIds.includes(r.task)).length >= 2, 10_000, 'two slow tasks running')
  const term2 = Date.now()
  d2.kill('SIGTERM')
  await d2.waitFor((l) => l.ev === 'sigterm', 5_000, 'the first signal seen')
  d2.kill('SIGTERM')
  const exit2 = await d2.exited
  const stopNowMs = Date.now() - term2
  const c2 = await stateCounts(q.admin, q.schema, 'slow')
  const figures = recordFigures(
    {
      id: 's06',
      title: 'Graceful stop with tasks buffered',
      size: `${BUFFERED} buffered + 2 running (1.5 s); then 100 in hand with 60 s tasks and graceMs 20 s`,
      runs: readLedger(ledger).length,
      faults: 2,
      lost: ids.length - c1.queued! - c1.succeeded! + (slowIds.length - c2.queued!),
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: null,
      extra: { 'handed back': c1.queued!, 'attempts used by handed-back tasks': attemptsUsed, 'drain time (ms)': stopMs, 'second signal: exit after (ms)': stopNowMs, 'slow tasks back in the queue': c2.queued! },
      checks: {
        'every buffered task handed back': c1.queued === BUFFERED && c1.running === 0,
        'no attempt used': attemptsUsed === 0,
        'running tasks finished': c1.succeeded === started.size && started.size >= 2,
        'drained cleanly': exit1.code === 0,
        'second signal stops at once': stopNowMs < 5_000 && exit2.code === 0,
        'nothing left running after the second signal': c2.running === 0 && c2.queued === slowIds.length,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
