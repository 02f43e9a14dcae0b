/**
 * Scenario 8 (issue 4): poison pills. A task that kills its process every time, one that exhausts
 * memory (worker heap capped with NODE_OPTIONS=--max-old-space-size), one that loops forever (killed
 * at its timeout): each ends `failed` after its attempts, while another type keeps at least 90% of
 * its throughput meanwhile. The good type's tasks wait 100 ms each (I/O-bound), so the figure measures
 * isolation, not the CPU a spinning pill takes from a 2-core machine.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { until } from '../helpers.ts'
import { DroneProc, droneConfig, freshQueue, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { readLedger } from './lib/ledger.ts'
import { LEDGER_WORKER } from './lib/mode.ts'

const GOOD = 1_600
const ATTEMPTS = 3

let q: PgQueue
const { tmp, drones } = scenario('s08', async () => {
  await q?.cleanup()
})

async function goodDone(q: PgQueue, ids: string[]): Promise<number> {
  const r = await q.admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${q.schema}".tasks WHERE state = 'succeeded' AND id = ANY($1)`, [ids])
  return Number(r.rows[0]!.n)
}

it('poison pills fail after their attempts; other types keep their throughput', async () => {
  const t0 = Date.now()
  q = await freshQueue('s08')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const w = { module: LEDGER_WORKER, config: { ledger } }
  const drone = new DroneProc(
    droneConfig(q, 'd1', tmp.dir, {
      workers: {
        good: { ...w, processes: 2, concurrency: 8 },
        crash: w,
        oom: w,
        loop: { ...w, taskTimeoutMs: 2_000 },
        'loop-late': { ...w, taskTimeoutMs: 2_000 },
      },
      drone: { leaseMs: 5_000, retryBaseMs: 100, retryMaxMs: 500, pollMs: 200 },
      // 64 MB of heap: the oom pill dies in about a second instead of eating the machine.
      workerEnv: { NODE_OPTIONS: '--max-old-space-size=64' },
      events: ['worker-exited'],
    }),
  )
  drones.push(drone)
  await drone.running()
  const batch = (): Array<{ type: string; payload: unknown }> => Array.from({ length: GOOD }, (_, n) => ({ type: 'good', payload: { n, sleepMs: 100 } }))
  // Baseline: the good type alone.
  let ids = await q.queue.enqueueMany(batch())
  let from = Date.now()
  await until(async () => (await goodDone(q, ids)) === GOOD, 120_000, 'the baseline batch')
  const baselineRate = GOOD / ((Date.now() - from) / 1000)
  // With the pills: 2 of each, and the same good batch.
  const pills = await q.queue.enqueueMany(
    ['crash', 'oom', 'loop', 'loop-late'].flatMap((type) => [0, 1].map((n) => ({ type, payload: { n, mode: type }, options: { maxAttempts: ATTEMPTS } }))),
  )
  ids = await q.queue.enqueueMany(batch())
  from = Date.now()
  await until(async () => (await goodDone(q, ids)) === GOOD, 120_000, 'the batch beside the pills')
  const withPillsRate = GOOD / ((Date.now() - from) / 1000)
  const pillsStillRunning = (await Promise.all(pills.map((id) => q.queue.get(id)))).filter((t) => t?.state !== 'failed').length
  await until(async () => (await Promise.all(pills.map((id) => q.queue.get(id)))).every((t) => t?.state === 'failed'), 90_000, 'every pill to fail').catch(() => undefined)
  const final = await Promise.all(pills.map((id) => q.queue.get(id)))
  const exits = drone.lines.filter((l) => l.ev === 'event' && l.kind === 'worker-exited' && l.type !== 'good').length
  const ratio = withPillsRate / baselineRate
  const byType = (type: string): string => final.filter((t) => t?.type === type).map((t) => `${t?.state}/${t?.attempts}`).join(' ')
  const figures = recordFigures(
    {
      id: 's08',
      title: 'Poison pills',
      size: `2 each of crash / oom (64 MB heap) / loop at once / loop after 50 ms (2 s timeout), maxAttempts ${ATTEMPTS}; ${GOOD.toLocaleString('en-US')} good tasks before and beside them`,
      runs: readLedger(ledger).length,
      faults: pills.length,
      lost: final.filter((t) => t?.state !== 'failed').length,
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: null,
      extra: {
        'good tasks/s alone': Math.round(baselineRate),
        'good tasks/s beside pills': Math.round(withPillsRate),
        'throughput kept': `${Math.round(ratio * 100)}%`,
        'pills not yet failed when the good batch ended': pillsStillRunning,
        'pill worker exits': exits,
        crash: byType('crash'),
        oom: byType('oom'),
        'loop (from its first tick)': byType('loop'),
        'loop (after 50 ms)': byType('loop-late'),
      },
      checks: {
        'each pill failed after its attempts': final.every((t) => t?.state === 'failed' && t.attempts === ATTEMPTS),
        'other type keeps ≥ 90% throughput': ratio >= 0.9,
        'pills were active beside the good batch': pillsStillRunning > 0 || exits >= pills.length,
        'drone alive': drone.alive,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
