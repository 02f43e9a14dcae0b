/**
 * Scenario 10 (issue 4): soak. As many tasks as fit in the time budget through one drone (the
 * issue's 1,000,000 would take ~1 hour at this machine's rate: see the figures for the count run).
 * Feeding stops at 1,000,000 tasks or after the time budget (150 s full, 30 s CI). Worker processes
 * are recycled after N tasks (maxTasksPerProcess) and above an RSS limit (maxRssMb).
 *
 * Memory, two measures. The leak signal, in both modes: the drone's heap used after a forced full GC
 * (the live set; the drone runs with --expose-gc and collects before each snapshot), from warm-up to
 * the end, per task run in between: load changes how fast tasks go, not what stays alive. RSS growth
 * < 10% after warm-up is the strict measure of the full run only: over a 30 s CI soak on a loaded
 * 2-core machine it moved 14% with no leak (V8 and malloc keep freed memory; issue #9, item 4).
 */
import { expect, it } from 'vitest'

import { DroneProc, droneConfig, freshQueue, type PgQueue, type ProcLine, scenario } from './lib/drones.ts'
import { Feeder } from './lib/feed.ts'
import { recordFigures } from './lib/figures.ts'
import { LEDGER_WORKER, MODE, size } from './lib/mode.ts'
import { settle } from './lib/wait.ts'

const DURATION_MS = size(150_000, 30_000)
/** The count; the run stops feeding there, or at DURATION_MS, whichever comes first. */
const TARGET = 1_000_000
const RECYCLE_AFTER = 5_000
/**
 * The live set (heap after a forced GC) may grow by HEAP_NOISE_BYTES plus HEAP_BYTES_PER_TASK per task
 * done between warm-up and the end. Measured here: 14.9 → 15.7 MB over 129,648 tasks (6 bytes a task);
 * tasks in hand (up to a type's capacity) and connection buffers move it by well under 1 MB. A leak of
 * a task's smallest record (~100 bytes) over a CI run's 20,000+ tasks breaks it.
 */
const HEAP_NOISE_BYTES = 2_000_000
const HEAP_BYTES_PER_TASK = 20
/** Below this many tasks between the windows, a per-task figure says nothing. */
const MIN_TASKS_BETWEEN = 5_000

let q: PgQueue
const { tmp, drones } = scenario('s10', async () => {
  await q?.cleanup()
})

interface Proc {
  workerId: string
  restarts: number
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

it(`soak for ${DURATION_MS / 1000} s`, async () => {
  const t0 = Date.now()
  q = await freshQueue('s10')
  const drone = new DroneProc(
    droneConfig(q, 'soak', tmp.dir, {
      workers: {
        work: { module: LEDGER_WORKER, config: {}, processes: 2, concurrency: 32, maxTasksPerProcess: RECYCLE_AFTER },
        // Each task keeps 40 MB alive in its process: above 200 MB RSS the process is recycled.
        fat: { module: LEDGER_WORKER, config: {}, maxRssMb: 200 },
      },
      drone: { bufferPerWorker: 200, leaseMs: 30_000, pollMs: 500 },
      snapshotMs: 1_000,
      gcSnapshots: true,
    }),
    {},
    ['--expose-gc'],
  )
  drones.push(drone)
  await drone.running()
  const feeder = new Feeder(q.queue, q.admin, q.schema, 'work', {}, { low: 2_000, batch: 2_000 })
  const fat = await q.queue.enqueueMany(Array.from({ length: 12 }, (_, n) => ({ type: 'fat', payload: { n, holdMb: 40, sleepMs: 300 } })))
  const start = Date.now()
  while (Date.now() - start < DURATION_MS && feeder.ids.length < TARGET) {
    await feeder.topUp()
    await new Promise((r) => setTimeout(r, 250)) // feeding cadence, not a wait for a condition
  }
  const fedUntil = Date.now()
  const { counts, settled } = await settle(q.admin, q.schema, 120_000)
  if (!settled) process.stdout.write(`s10 not settled: ${JSON.stringify(counts)}; last snapshot ${JSON.stringify(drone.lastSnapshot())}\n`)
  const elapsed = (Date.now() - start) / 1000
  // Memory: the drone's RSS after warm-up (25–40% of the run) against the end (last 15%).
  const snaps = drone.lines.filter((l) => l.ev === 'snapshot' && (l.at as number) >= start && (l.at as number) <= fedUntil)
  const fedMs = Math.max(1, (snaps.at(-1)?.at as number | undefined ?? start + 1) - start)
  const inWindow = (from: number, to: number): ProcLine[] => snaps.filter((l) => (l.at as number) >= start + from * fedMs && (l.at as number) < start + to * fedMs)
  const window = (from: number, to: number, field: 'rss' | 'heapUsed' = 'rss'): number[] => inWindow(from, to).map((l) => l[field] as number)
  const warm = median(window(0.25, 0.4))
  const end = median(window(0.85, 1))
  const growth = (end - warm) / warm
  // The live set: heap used after a forced GC, and the tasks done between the two windows' middles.
  const doneAt = (l: ProcLine | undefined): number => ((l?.types ?? []) as Array<{ type: string; done: number }>).find((t) => t.type === 'work')?.done ?? 0
  const middle = (ls: ProcLine[]): ProcLine | undefined => ls[Math.floor(ls.length / 2)]
  const heapWarm = median(window(0.25, 0.4, 'heapUsed'))
  const heapEnd = median(window(0.85, 1, 'heapUsed'))
  const tasksBetween = doneAt(middle(inWindow(0.85, 1))) - doneAt(middle(inWindow(0.25, 0.4)))
  const heapPerTask = (heapEnd - heapWarm) / Math.max(1, tasksBetween)
  const heapBound = HEAP_NOISE_BYTES + HEAP_BYTES_PER_TASK * tasksBetween
  const gced = snaps.length > 0 && snaps.every((l) => l.gc === true)
  const last = snaps.at(-1)
  const procs = (last?.processes ?? []) as Proc[]
  const restarts = (prefix: string): number => procs.filter((p) => p.workerId.startsWith(prefix)).reduce((n, p) => n + p.restarts, 0)
  const done = counts.succeeded! - fat.length
  const figures = recordFigures(
    {
      id: 's10',
      title: 'Soak',
      size: `1 drone × 2 processes × 32, ${done.toLocaleString('en-US')} tasks in ${Math.round(elapsed)} s`,
      ...(done >= TARGET ? {} : { scaled: `1,000,000 tasks would take ~${Math.round(1_000_000 / (done / elapsed) / 60)} min at ${Math.round(done / elapsed)} tasks/s here; the suite's budget is 15 min` }),
      runs: counts.succeeded!,
      faults: 0,
      lost: feeder.ids.length + fat.length - counts.succeeded! - counts.failed!,
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: null,
      extra: {
        'tasks/s': Math.round(done / elapsed),
        'drone RSS after warm-up (MB)': Math.round(warm / 1e6),
        'drone RSS at end (MB)': Math.round(end / 1e6),
        'RSS growth': `${(growth * 100).toFixed(1)}%`,
        'drone heap after GC, warm-up → end (MB)': `${(heapWarm / 1e6).toFixed(1)} → ${(heapEnd / 1e6).toFixed(1)}`,
        'heap growth per task between (bytes)': Math.round(heapPerTask),
        'tasks between the windows': tasksBetween,
        [`recycled after ${RECYCLE_AFTER} tasks`]: restarts('work'),
        'recycled above 200 MB RSS': restarts('fat'),
      },
      checks: {
        'every task final': counts.queued === 0 && counts.running === 0 && counts.failed === 0,
        [`drone heap after forced GC grows < 2 MB + ${HEAP_BYTES_PER_TASK} bytes per task, over ≥ ${MIN_TASKS_BETWEEN} tasks`]:
          gced && tasksBetween >= MIN_TASKS_BETWEEN && heapEnd - heapWarm < heapBound,
        ...(MODE === 'ci' ? {} : { 'drone memory growth < 10% after warm-up': warm > 0 && growth < 0.1 }),
        'recycled after N tasks': restarts('work') >= Math.floor(done / RECYCLE_AFTER / 2),
        'recycled above the RSS limit': restarts('fat') >= 1,
        'drone alive': drone.alive,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
