/**
 * Scenario 2 (issue 4): worker processes SIGKILLed many times during a run. The drone survives,
 * attempts are counted, processes are replaced, no zombie processes, no growth in open descriptors.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'

import { DroneProc, childPidsOf, droneConfig, fdCount, freshQueue, procState, type PgQueue, scenario } from './lib/drones.ts'
import { Feeder } from './lib/feed.ts'
import { recordFigures } from './lib/figures.ts'
import { analyze, readLedger, type Fault } from './lib/ledger.ts'
import { LEDGER_WORKER, size } from './lib/mode.ts'
import { settle } from './lib/wait.ts'

const KILLS = size(200, 20)
const PROCESSES = 8

let q: PgQueue
const { tmp, drones } = scenario('s02', async () => {
  await q?.cleanup()
})

interface Proc {
  pid: number
  state: string
  restarts: number
}

it(`worker processes killed ${KILLS} times`, async () => {
  const t0 = Date.now()
  q = await freshQueue('s02')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const drone = new DroneProc(
    droneConfig(q, 'd1', tmp.dir, {
      workers: { work: { module: LEDGER_WORKER, config: { ledger }, processes: PROCESSES, concurrency: 4 } },
      drone: { leaseMs: 5_000, retryBaseMs: 20, retryMaxMs: 200, bufferPerWorker: 10, pollMs: 200 },
      snapshotMs: 100,
    }),
  )
  drones.push(drone)
  await drone.running()
  const feeder = new Feeder(q.queue, q.admin, q.schema, 'work', { sleepMs: 20 }, { low: 300, batch: 500, maxAttempts: 100 })
  await feeder.topUp()
  const faults: Fault[] = []
  const killed = new Set<number>()
  let fdWarm = -1
  let maxReplaceMs = 0
  for (let k = 0; k < KILLS; k++) {
    if (k % 5 === 0) await feeder.topUp()
    // The next snapshot with a live (ready) process we have not killed yet.
    const snap = await drone.waitFor(
      (l) => l.ev === 'snapshot' && (l.processes as Proc[]).some((p) => !killed.has(p.pid) && (p.state === 'idle' || p.state === 'busy')) && (l.at as number) > (faults.at(-1)?.at ?? 0),
      30_000,
      'a live worker process',
    )
    const replacedAt = Date.now()
    if (faults.length > 0) maxReplaceMs = Math.max(maxReplaceMs, replacedAt - faults.at(-1)!.at)
    const candidates = (snap.processes as Proc[]).filter((p) => !killed.has(p.pid) && (p.state === 'idle' || p.state === 'busy'))
    const victim = candidates[Math.floor(Math.random() * candidates.length)]!
    try {
      process.kill(victim.pid, 'SIGKILL')
    } catch {
      continue // exited meanwhile (recycled): not a fault
    }
    killed.add(victim.pid)
    faults.push({ at: Date.now(), pid: victim.pid, what: 'in flight at a worker SIGKILL' })
    if (k === Math.floor(KILLS / 10)) fdWarm = fdCount(drone.pid)
  }
  const { counts, settled } = await settle(q.admin, q.schema, 120_000)
  // The replacement processes are up and idle again: compare descriptors with the warm-up count.
  // Every slot replaced and ready (a replacement may still be in its crash-loop backoff, up to 5 s).
  const replaced = (l: { processes?: unknown; ev: string }): boolean =>
    l.ev === 'snapshot' && (l.processes as Proc[]).length === PROCESSES && (l.processes as Proc[]).every((p) => !killed.has(p.pid) && (p.state === 'idle' || p.state === 'busy'))
  const since = Date.now()
  const last = await drone
    .waitFor((l) => (l.at as number) > since && replaced(l), 30_000, 'every process replaced')
    .catch(() => drone.lastSnapshot()!)
  const fdEnd = fdCount(drone.pid)
  const children = childPidsOf(drone.pid)
  const zombies = children.filter((p) => procState(p) === 'Z').length
  const killedStillThere = [...killed].filter((p) => procState(p) !== null).length
  const procs = last.processes as Proc[]
  const restarts = procs.reduce((n, p) => n + p.restarts, 0)

  const runs = readLedger(ledger)
  const a = analyze(runs, faults)
  // Attempts are counted: every run cut by a kill is recorded as a failed attempt, unless the drone had
  // not yet heard of its start (then the same attempt is dispatched again, using no attempt).
  const failedRows = await q.admin.query<{ task_id: string; attempt: number }>(`SELECT task_id, attempt FROM "${q.schema}".task_attempts WHERE outcome IN ('retried', 'failed')`)
  const recorded = new Set(failedRows.rows.map((r) => `${r.task_id}:${r.attempt}`))
  const cut = runs.filter((r) => r.end === null)
  const uncounted = cut.filter((r) => !recorded.has(`${r.task}:${r.attempt}`) && !runs.some((o) => o !== r && o.task === r.task && o.attempt === r.attempt))
  const total = feeder.ids.length
  const lost = total - counts.succeeded! - counts.failed!
  const figures = recordFigures(
    {
      id: 's02',
      title: 'Worker processes killed',
      size: `1 drone × ${PROCESSES} processes × concurrency 4, ${total.toLocaleString('en-US')} tasks, ${KILLS} worker kills`,
      ...(KILLS < 200 ? { scaled: 'CI subset' } : {}),
      runs: a.runs,
      faults: faults.length,
      lost,
      duplicates: a.duplicates.length + a.unexplained.length,
      duplicatesWhy: { ...a.why, ...(a.unexplained.length ? { UNEXPLAINED: a.unexplained.length } : {}) },
      recoverMs: maxReplaceMs,
      extra: {
        'attempts failed by kills': cut.length,
        'same attempt re-run (start unreported)': a.sameAttemptTwice.length,
        restarts,
        'drone fds warm/end': `${fdWarm}/${fdEnd}`,
        zombies,
      },
      checks: {
        'drone survives': drone.alive && last.state === 'running',
        'every task final': settled && lost === 0 && counts.failed === 0,
        'attempts counted': uncounted.length === 0,
        'no unexplained duplicate': a.unexplained.length === 0,
        'processes replaced': procs.length === PROCESSES && procs.every((p) => !killed.has(p.pid)) && restarts >= faults.length,
        'no zombies': zombies === 0 && killedStillThere === 0,
        'no fd growth': fdEnd <= fdWarm + 4,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
