// graphile-worker 0.18 at its documented high-throughput settings: concurrency 24, local queue 500,
// batched completes (the performance issue's reference run).
import { Logger, makeWorkerUtils, run, type Runner } from 'graphile-worker'
import pg from 'pg'
import { PG, deferred, emit, kib, latencySummary, parseArgs, rssSampler, sleep, sendSpaced } from '../lib.ts'

const args = parseArgs()
const schema = `gw_bench_${process.pid}`
const rss = rssSampler()
// A silent logger: graphile-worker logs every job at info level, which would bench the terminal.
const logger = new Logger(() => () => undefined)
const utils = await makeWorkerUtils({ connectionString: PG, schema, logger })
await utils.migrate()

let done = 0
let target = 0
let finished = deferred()
const starts = new Map<string, number>()
const failedOnce = new Set<number>()

function preset() {
  return { worker: { connectionString: PG, schema, concurrentJobs: 24, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0, pollInterval: 1000, maxPoolSize: 10 } }
}
async function startRunner(): Promise<Runner> {
  return run({
    preset: preset() as any,
    noHandleSignals: true,
    logger,
    taskList: {
      noop: async () => {
        if (++done === target) finished.resolve()
      },
      lat: async (payload: any) => {
        starts.set(payload.id, performance.now())
        if (++done === target) finished.resolve()
      },
      ...Object.fromEntries(['m1', 'm2', 'm3', 'm4'].map((t) => [t, async (payload: any) => {
        if (++done === target) finished.resolve()
        if (payload.i % 10 === 0 && !failedOnce.has(payload.i)) {
          failedOnce.add(payload.i)
          throw new Error('fails once')
        }
      }])),
    },
  })
}

// bulk enqueue, then burn-down of the same jobs
const jobs = Array.from({ length: args.tasks }, () => ({ identifier: 'noop', payload: {} }))
let t0 = performance.now()
for (let i = 0; i < jobs.length; i += 5000) await utils.addJobs(jobs.slice(i, i + 5000))
const bulkPerSec = args.tasks / ((performance.now() - t0) / 1000)
done = 0; target = args.tasks; finished = deferred()
t0 = performance.now()
let runner = await startRunner()
await finished.promise
const burnPerSec = args.tasks / ((performance.now() - t0) / 1000)

// latency: one at a time, 5 ms apart, to an idle system
await sleep(300)
done = 0; target = args.latency; finished = deferred()
const sent = await sendSpaced(args.latency, (id) => utils.addJob('lat', { id }))
await finished.promise
const latency = latencySummary([...sent].map(([id, t]) => starts.get(id)! - t))
await runner.stop()

// mixed: 4 types, 1 KiB payloads, 10% fail once. Retry delays are each system's own backoff, so we
// time the first pass: handler invocations until every task has run once.
done = 0; target = args.mixed; finished = deferred()
const mixed = Array.from({ length: args.mixed }, (_, i) => ({ identifier: `m${(i % 4) + 1}`, payload: kib(i) }))
for (let i = 0; i < mixed.length; i += 5000) await utils.addJobs(mixed.slice(i, i + 5000))
t0 = performance.now()
runner = await startRunner()
await finished.promise
const mixedPerSec = target / ((performance.now() - t0) / 1000)
await runner.stop()
await utils.release()
const c = new pg.Client({ connectionString: PG }); await c.connect(); await c.query(`drop schema if exists "${schema}" cascade`); await c.end()
emit({ system: 'graphile-worker 0.18', bulkPerSec, burnPerSec, latency, mixedPerSec, workerPeakRssMb: rss.peakMb(), notes: 'handlers in process' })
process.exit(0)
