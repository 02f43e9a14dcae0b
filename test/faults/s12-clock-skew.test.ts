/**
 * Scenario 12 (issue 4): drones whose clocks run 10 minutes fast and 10 minutes slow (a preload
 * shifts Date.now and new Date()) beside a drone with a true clock. Lease times come from the
 * database: the fast drone's rescuer does not steal the others' tasks, the slow one's leases do not
 * expire early, nobody runs a task twice.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'

import { DroneProc, droneConfig, freshQueue, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { analyze, readLedger } from './lib/ledger.ts'
import { FIXTURES, LEDGER_WORKER, size } from './lib/mode.ts'
import { settle } from './lib/wait.ts'

const SKEW_MS = 10 * 60_000
const TASKS = size(150, 60)
const LEASE_MS = 2_000

let q: PgQueue
const { tmp, drones } = scenario('s12', async () => {
  await q?.cleanup()
})

it('clock skew of ±10 minutes neither steals nor expires leases early', async () => {
  const t0 = Date.now()
  q = await freshQueue('s12')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const cfg = (name: string) =>
    droneConfig(q, name, tmp.dir, {
      workers: { work: { module: LEDGER_WORKER, config: { ledger }, processes: 1, concurrency: 10 } },
      drone: { leaseMs: LEASE_MS, retryBaseMs: 50, retryMaxMs: 200, bufferPerWorker: 10, pollMs: 200 },
      events: ['lease-lost'],
    })
  const skewArgs = ['--import', join(FIXTURES, 'skew.ts')]
  const plain = new DroneProc(cfg('true-clock'))
  const fast = new DroneProc(cfg('fast-10min'), { FAULTS_SKEW_MS: String(SKEW_MS) }, skewArgs)
  const slow = new DroneProc(cfg('slow-10min'), { FAULTS_SKEW_MS: String(-SKEW_MS) }, skewArgs)
  drones.push(plain, fast, slow)
  await Promise.all(drones.map((d) => d.running()))
  // Tasks longer than a lease (3 × leaseMs): they live on lease extensions only.
  await q.queue.enqueueMany(Array.from({ length: TASKS }, (_, n) => ({ type: 'work', payload: { n, sleepMs: 3 * LEASE_MS } })))
  const { counts, settled } = await settle(q.admin, q.schema, 180_000)
  const runs = readLedger(ledger)
  const a = analyze(runs, [])
  const leaseLost = drones.reduce((n, d) => n + d.lines.filter((l) => l.ev === 'event' && l.kind === 'lease-lost').length, 0)
  const per = (name: string): number => runs.filter((r) => r.drone === name).length
  const figures = recordFigures(
    {
      id: 's12',
      title: 'Clock skew',
      size: `3 drones (true clock, +10 min, −10 min), ${TASKS} tasks of 3 × leaseMs (${LEASE_MS} ms)`,
      runs: a.runs,
      faults: 2,
      lost: TASKS - counts.succeeded! - counts.failed!,
      duplicates: a.duplicates.length + a.unexplained.length,
      duplicatesWhy: a.unexplained.length ? { UNEXPLAINED: a.unexplained.length } : {},
      recoverMs: null,
      extra: { 'runs true/fast/slow': `${per('true-clock')}/${per('fast-10min')}/${per('slow-10min')}`, 'lease-lost events': leaseLost },
      checks: {
        'no task stolen or run twice': a.unexplained.length === 0 && a.runs === TASKS,
        'no lease lost': leaseLost === 0,
        'every task succeeded': settled && counts.succeeded === TASKS,
        'skewed drones worked': per('fast-10min') > 0 && per('slow-10min') > 0,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
