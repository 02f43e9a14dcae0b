/**
 * Scenario 1 (issue 4): drones SIGKILLed at random moments while 3 of them work through many tasks.
 * None lost; every duplicate was in flight at a kill; no task stays running past its lease (plus the
 * rescuer's grace and period); the dead drone's worker processes exit on their own.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { until } from '../helpers.ts'
import { DroneProc, doubleOutcomes, droneConfig, freshQueue, processAlive, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { analyze, readLedger, type Fault } from './lib/ledger.ts'
import { LEDGER_WORKER, size } from './lib/mode.ts'
import { maxOverdueMs, randomPause, settle } from './lib/wait.ts'

const TASKS = size(20_000, 2_000)
const KILLS = size(10, 3)
const LEASE_MS = 2_000
/** RESCUE_GRACE_MS (2 s) + one rescuer period (leaseMs/2) + a second of slack for a busy machine. */
const OVERDUE_LIMIT_MS = 2_000 + LEASE_MS / 2 + 1_000

let q: PgQueue
const { tmp, drones } = scenario('s01', async () => {
  await q?.cleanup()
})

it(`drone killed: ${KILLS} SIGKILLs among 3 drones, ${TASKS} tasks`, async () => {
  const t0 = Date.now()
  q = await freshQueue('s01')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const start = (slot: number, incarnation: number): DroneProc => {
    const d = new DroneProc(
      droneConfig(q, `d${slot}-r${incarnation}`, tmp.dir, {
        localQueuePath: join(tmp.dir, `d${slot}.local.db`),
        workers: { work: { module: LEDGER_WORKER, config: { ledger }, processes: 2, concurrency: 8 } },
        drone: { leaseMs: LEASE_MS, retryBaseMs: 50, retryMaxMs: 500, bufferPerWorker: 20, pollMs: 200 },
      }),
    )
    drones.push(d)
    return d
  }
  const live = [start(1, 1), start(2, 1), start(3, 1)]
  await Promise.all(live.map((d) => d.running()))
  const ids: string[] = []
  for (let i = 0; i < TASKS; i += 5_000) {
    ids.push(...(await q.queue.enqueueMany(Array.from({ length: Math.min(5_000, TASKS - i) }, (_, k) => ({ type: 'work', payload: { n: i + k, sleepMs: 2 } })))))
  }
  const faults: Fault[] = []
  let orphansSeen = 0
  let orphansExited = 0
  let orphanExitMs = 0
  let overdue = 0
  for (let k = 0; k < KILLS; k++) {
    await randomPause(300, 1_500)
    const slot = Math.floor(Math.random() * 3)
    const victim = live[slot]!
    const workers = victim.childPids()
    victim.kill('SIGKILL')
    const at = Date.now()
    faults.push({ at, drone: victim.name, what: 'in flight at a drone SIGKILL' })
    await victim.exited
    orphansSeen += workers.length
    // The dead drone's worker processes notice (IPC disconnect, parent watchdog) and exit by themselves.
    await until(() => workers.every((p) => !processAlive(p)), 15_000, 'orphaned workers to exit').catch(() => undefined)
    orphansExited += workers.filter((p) => !processAlive(p)).length
    orphanExitMs = Math.max(orphanExitMs, Date.now() - at)
    overdue = Math.max(overdue, await maxOverdueMs(q.admin, q.schema))
    // Half the time the same drone restarts at once (reconciling its local queue); otherwise the
    // others rescue its tasks after the lease, and it comes back later.
    if (Math.random() < 0.5) await randomPause(LEASE_MS, LEASE_MS * 2)
    live[slot] = start(slot + 1, k + 2)
    await live[slot]!.running()
  }
  // Watch leases while the swarm finishes the rest.
  const watch = setInterval(() => void maxOverdueMs(q.admin, q.schema).then((ms) => (overdue = Math.max(overdue, ms)), () => undefined), 500)
  const { counts, settled } = await settle(q.admin, q.schema, size(300_000, 120_000))
  clearInterval(watch)

  const runs = readLedger(ledger)
  const doubles = await doubleOutcomes(q.admin, q.schema)
  const a = analyze(runs, faults)
  // Recovery: from a kill to the next run of a task that was in flight at it.
  let recoverMs = 0
  for (const d of a.duplicates) {
    const list = runs.filter((r) => r.task === d.task).sort((x, y) => x.start - y.start)
    const first = list.find((r) => r.attempt === d.attempt)!
    const next = list.find((r) => r.start > first.start)
    const f = faults.find((f) => f.drone === first.drone)
    if (next && f) recoverMs = Math.max(recoverMs, next.start - f.at)
  }
  const lost = TASKS - counts.succeeded! - counts.failed!
  const figures = recordFigures(
    {
      id: 's01',
      title: 'Drone killed (SIGKILL)',
      size: `3 drones × 2 processes, ${TASKS.toLocaleString('en-US')} tasks, ${KILLS} kills, leaseMs ${LEASE_MS}`,
      ...(TASKS < 20_000 ? { scaled: 'CI subset' } : {}),
      runs: a.runs,
      faults: faults.length,
      lost,
      duplicates: a.duplicates.length + a.unexplained.length,
      duplicatesWhy: { ...a.why, ...(a.unexplained.length ? { UNEXPLAINED: a.unexplained.length } : {}) },
      recoverMs,
      extra: { 'same attempt re-run (start unreported)': a.sameAttemptTwice.length, failed: counts.failed!, 'orphan workers exited': `${orphansExited}/${orphansSeen}`, 'orphan exit ms': orphanExitMs, 'max lease overdue ms': Math.round(overdue) },
      checks: {
        'every task final': settled && lost === 0,
        'every task ran': a.tasksRun === TASKS,
        'no unexplained duplicate': a.unexplained.length === 0,
        'one outcome per attempt': doubles === 0,
        'no task running past its lease': overdue < OVERDUE_LIMIT_MS,
        "dead drones' workers exited": orphansExited === orphansSeen,
      },
    },
    t0,
  )
  expect(a.unexplained).toEqual([])
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
  expect(counts.succeeded).toBe(TASKS)
})
