/**
 * Scenario 9 (issue 4): a task that ignores its abort signal is killed at its timeout (abort, then the
 * process killed after a short grace), its attempt fails, and its slot is freed for the next task.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { until } from '../helpers.ts'
import { DroneProc, droneConfig, freshQueue, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { readLedger } from './lib/ledger.ts'
import { LEDGER_WORKER } from './lib/mode.ts'

const TIMEOUT_MS = 1_500
const HANGS = 3

let q: PgQueue
const { tmp, drones } = scenario('s09', async () => {
  await q?.cleanup()
})

it('a hang ignoring abort is killed at its timeout and its slot freed', async () => {
  const t0 = Date.now()
  q = await freshQueue('s09')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const drone = new DroneProc(
    droneConfig(q, 'd1', tmp.dir, {
      // One process, one slot: the task after a hang can only run once the hang's slot is freed.
      workers: { work: { module: LEDGER_WORKER, config: { ledger }, processes: 1, concurrency: 1, taskTimeoutMs: TIMEOUT_MS } },
      drone: { leaseMs: 5_000, retryBaseMs: 50, retryMaxMs: 100, pollMs: 200 },
      events: ['worker-exited', 'failed', 'succeeded'],
    }),
  )
  drones.push(drone)
  await drone.running()
  const hangs = await q.queue.enqueueMany(Array.from({ length: HANGS }, (_, n) => ({ type: 'work', payload: { n, mode: 'hang' }, options: { maxAttempts: 1, priority: 10 } })))
  const next = await q.queue.enqueue('work', { n: 'after' })
  await until(async () => (await q.queue.get(next))?.state === 'succeeded', 30_000, 'the task after the hangs').catch(() => undefined)
  const runs = readLedger(ledger)
  const tasks = await Promise.all(hangs.map((id) => q.queue.get(id)))
  // From each hang's start to its process's exit.
  const exits = drone.lines.filter((l) => l.ev === 'event' && l.kind === 'worker-exited').map((l) => l.at as number)
  const killDelays = runs.filter((r) => hangs.includes(r.task)).map((r) => (exits.find((e) => e >= r.start) ?? Infinity) - r.start)
  const slowest = Math.max(...killDelays)
  const figures = recordFigures(
    {
      id: 's09',
      title: 'Hang ignoring abort',
      size: `${HANGS} hangs then 1 task, 1 process × 1 slot, taskTimeoutMs ${TIMEOUT_MS}`,
      runs: runs.length,
      faults: HANGS,
      lost: (await q.queue.get(next))?.state === 'succeeded' ? 0 : 1,
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: slowest,
      extra: { 'start → process killed (ms)': killDelays.join('/'), 'hang states': tasks.map((t) => t?.state).join(' ') },
      checks: {
        'killed at its timeout': killDelays.length === HANGS && slowest < TIMEOUT_MS + 3_000,
        'attempt failed': tasks.every((t) => t?.state === 'failed' && /timeout/i.test(t.error?.message ?? '')),
        'slot freed': (await q.queue.get(next))?.state === 'succeeded',
        'drone alive': drone.alive,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
