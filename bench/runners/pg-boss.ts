// pg-boss 12.38 at its documented high-throughput settings: batch 500, LISTEN/NOTIFY on
// (the performance issue's reference run).
import { PgBoss } from 'pg-boss'
import pg from 'pg'
import { PG, deferred, emit, kib, latencySummary, parseArgs, rssSampler, sleep, sendSpaced } from '../lib.ts'

const args = parseArgs()
const schema = `pgboss_bench_${process.pid}`
const rss = rssSampler()
const boss = new PgBoss({ connectionString: PG, schema, useListenNotify: true, supervise: false, schedule: false } as any)
boss.on('error', (e: unknown) => console.error('pg-boss error', e))
await boss.start()

let done = 0
let target = 0
let finished = deferred()
const starts = new Map<string, number>()
const failedOnce = new Set<number>()
const q = (n: string) => boss.createQueue(n, { notify: true } as any)
for (const n of ['noop', 'lat', 'm1', 'm2', 'm3', 'm4']) await q(n)

const workerIds: string[] = []
async function work(name: string): Promise<void> {
  workerIds.push(
    await boss.work(name, { batchSize: 500, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true } as any, async (jobs: any[]) => {
      const failing: string[] = []
      for (const job of jobs) {
        if (name === 'lat') starts.set(job.data.id, performance.now())
        if (name.startsWith('m') && job.data.i % 10 === 0 && !failedOnce.has(job.data.i)) {
          failedOnce.add(job.data.i)
          failing.push(job.id)
        }
        if (++done === target) finished.resolve()
      }
      if (failing.length) await boss.fail(name, failing)
    }),
  )
}
async function offAll(): Promise<void> {
  for (const n of ['noop', 'lat', 'm1', 'm2', 'm3', 'm4']) await boss.offWork(n).catch(() => undefined)
}

let t0 = performance.now()
for (let i = 0; i < args.tasks; i += 5000) await boss.insert('noop', Array.from({ length: Math.min(5000, args.tasks - i) }, () => ({ data: {} })))
const bulkPerSec = args.tasks / ((performance.now() - t0) / 1000)
done = 0; target = args.tasks; finished = deferred()
t0 = performance.now()
await work('noop')
await finished.promise
const burnPerSec = args.tasks / ((performance.now() - t0) / 1000)

await work('lat')
await sleep(300)
done = 0; target = args.latency; finished = deferred()
const sent = await sendSpaced(args.latency, (id) => boss.send('lat', { id }))
await finished.promise
const latency = latencySummary([...sent].map(([id, t]) => starts.get(id)! - t))
await offAll()

done = 0; target = args.mixed; finished = deferred()
for (const [k, n] of ['m1', 'm2', 'm3', 'm4'].entries()) {
  const rows = [] as Array<{ data: object; retryLimit: number }>
  for (let i = k; i < args.mixed; i += 4) rows.push({ data: kib(i), retryLimit: 1 })
  for (let i = 0; i < rows.length; i += 5000) await boss.insert(n, rows.slice(i, i + 5000))
}
t0 = performance.now()
for (const n of ['m1', 'm2', 'm3', 'm4']) await work(n)
await finished.promise
const mixedPerSec = args.mixed / ((performance.now() - t0) / 1000)
await offAll()
await boss.stop({ graceful: false, wait: true } as any)
const c = new pg.Client({ connectionString: PG }); await c.connect(); await c.query(`drop schema if exists "${schema}" cascade`); await c.end()
emit({ system: 'pg-boss 12.38', bulkPerSec, burnPerSec, latency, mixedPerSec, workerPeakRssMb: rss.peakMb(), notes: 'handlers in process' })
process.exit(0)
