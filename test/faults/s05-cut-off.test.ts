/**
 * Scenario 5 (issue 4): a drone cut off (through the TCP proxy, black-holed) for longer than its
 * lease. Its tasks run elsewhere; its late completions are refused by the fence (the recorded result
 * is the other drone's); its workers are told to abort (lease lost).
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { TEST_PG, until } from '../helpers.ts'
import { DroneProc, droneConfig, freshQueue, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { analyze, readLedger, type Fault } from './lib/ledger.ts'
import { LEDGER_WORKER, size } from './lib/mode.ts'
import { TcpProxy } from './lib/proxy.ts'
import { settle } from './lib/wait.ts'

const LEASE_MS = 2_000
/** Cut for 3 leases: past expiry, the rescuer's 2 s grace and its period. */
const CUT_MS = 3 * LEASE_MS + 2_000
const TASKS = size(40, 20)

let q: PgQueue
let proxy: TcpProxy | null = null
const { tmp, drones } = scenario('s05', async () => {
  await proxy?.stop()
  await q?.cleanup()
})

it('drone cut off longer than its lease', async () => {
  const t0 = Date.now()
  q = await freshQueue('s05')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(TEST_PG).port || 5432) })
  await proxy.start()
  const common = {
    heartbeatMs: 1_000,
    heartbeatTimeoutMs: 1_000,
    queryTimeoutMs: 2_000,
    workers: { work: { module: LEDGER_WORKER, config: { ledger }, processes: 2, concurrency: TASKS } },
    drone: { leaseMs: LEASE_MS, retryBaseMs: 50, retryMaxMs: 200, bufferPerWorker: TASKS, pollMs: 200 },
  }
  const cut = new DroneProc(droneConfig(q, 'cut', tmp.dir, { ...common, connectionString: proxy.address(TEST_PG), events: ['lease-lost'] }))
  drones.push(cut)
  await cut.running()
  // Half the tasks finish during the cut (their outcomes must be refused), half are still running
  // when it ends (their workers must be told to abort).
  const ids = await q.queue.enqueueMany(Array.from({ length: TASKS }, (_, n) => ({ type: 'work', payload: { n, sleepMs: n % 2 === 0 ? 3_000 : 15_000 } })))
  await until(() => readLedger(ledger).filter((r) => r.drone === 'cut').length === TASKS, 30_000, 'the cut drone to start every task')
  proxy.setMode('blackhole')
  const at = Date.now()
  const faults: Fault[] = [{ at, until: at + CUT_MS, drone: 'cut', what: 'in flight at a cut-off (lease expired)' }]
  const other = new DroneProc(droneConfig(q, 'other', tmp.dir, { ...common, workers: { work: { ...common.workers.work, concurrency: TASKS } } }))
  drones.push(other)
  await other.running()
  // Rescued by the other drone: it starts every task again.
  await until(() => new Set(readLedger(ledger).filter((r) => r.drone === 'other').map((r) => r.task)).size === TASKS, CUT_MS + 10_000, 'the other drone to run every task').catch(() => undefined)
  const rescuedAt = Date.now()
  // Heal after the full cut; the cut drone's lease extensions now say "lost".
  await new Promise((r) => setTimeout(r, Math.max(0, at + CUT_MS - Date.now())))
  proxy.setMode('pass')
  proxy.closeAll() // whatever hung on the black hole fails now instead of at its timeout
  const healedAt = Date.now()
  await until(() => readLedger(ledger).filter((r) => r.drone === 'cut' && r.aborted === 'lease-lost').length >= TASKS / 2, 20_000, 'the cut drone to abort its running tasks').catch(() => undefined)
  const abortMs = Date.now() - healedAt
  const { counts, settled } = await settle(q.admin, q.schema, 90_000)
  const runs = readLedger(ledger)
  const a = analyze(runs, faults)
  const tasks = await Promise.all(ids.map((id) => q.queue.get(id)))
  const fromCut = tasks.filter((t) => (t?.result as { drone?: string } | null)?.drone === 'cut').length
  const lateEnds = runs.filter((r) => r.drone === 'cut' && r.end !== null && r.end > at).length
  const aborted = runs.filter((r) => r.drone === 'cut' && r.aborted === 'lease-lost').length
  const lostEvents = cut.lines.filter((l) => l.ev === 'event' && l.kind === 'lease-lost').length
  const figures = recordFigures(
    {
      id: 's05',
      title: 'Drone cut off longer than its lease',
      size: `2 drones, ${TASKS} tasks (half 3 s, half 15 s), cut ${CUT_MS / 1000} s with leaseMs ${LEASE_MS}`,
      runs: a.runs,
      faults: 1,
      lost: TASKS - counts.succeeded! - counts.failed!,
      duplicates: a.duplicates.length + a.unexplained.length,
      duplicatesWhy: { ...a.why, ...(a.unexplained.length ? { UNEXPLAINED: a.unexplained.length } : {}) },
      recoverMs: rescuedAt - at,
      extra: { 'late completions (refused)': lateEnds, 'results recorded from the cut drone': fromCut, 'workers aborted (lease-lost)': aborted, 'lease-lost events': lostEvents, 'abort after heal (ms)': abortMs },
      checks: {
        'tasks run elsewhere': new Set(runs.filter((r) => r.drone === 'other').map((r) => r.task)).size === TASKS,
        'late completions refused by the fence': lateEnds > 0 && fromCut === 0,
        'workers told to abort': aborted >= TASKS / 2 - 1,
        'every task final': settled && counts.succeeded === TASKS,
        'no unexplained duplicate': a.unexplained.length === 0,
        'rescued within lease + a few seconds': rescuedAt - at < LEASE_MS + 2_000 + LEASE_MS + 5_000,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
