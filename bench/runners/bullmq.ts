// BullMQ 6.7 over Redis at its documented high-throughput settings: concurrency 100, addBulk,
// completed jobs removed (the performance issue's reference run).
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { REDIS, deferred, emit, kib, latencySummary, parseArgs, rssSampler, sleep, sendSpaced } from '../lib.ts'

const args = parseArgs()
const name = `bench_${process.pid}`
const rss = rssSampler()
// In native ESM BullMQ wants constructed clients; each Queue/Worker gets its own.
const connect = () => new Redis({ ...REDIS, maxRetriesPerRequest: null })
const connection = connect()
const queue = new Queue(name, { connection, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } })
await queue.obliterate({ force: true }).catch(() => undefined)

let done = 0
let target = 0
let finished = deferred()
const starts = new Map<string, number>()
const failedOnce = new Set<number>()
function startWorker(): Worker {
  return new Worker(
    name,
    async (job) => {
      if (job.name === 'lat') starts.set(job.data.id, performance.now())
      if (++done === target) finished.resolve()
      if (job.name.startsWith('m') && job.data.i % 10 === 0 && !failedOnce.has(job.data.i)) {
        failedOnce.add(job.data.i)
        throw new Error('fails once')
      }
    },
    { connection: connect(), concurrency: 100 },
  )
}

let t0 = performance.now()
for (let i = 0; i < args.tasks; i += 5000) {
  await queue.addBulk(Array.from({ length: Math.min(5000, args.tasks - i) }, () => ({ name: 'noop', data: {} })))
}
const bulkPerSec = args.tasks / ((performance.now() - t0) / 1000)
done = 0; target = args.tasks; finished = deferred()
t0 = performance.now()
let worker = startWorker()
await finished.promise
const burnPerSec = args.tasks / ((performance.now() - t0) / 1000)

await sleep(300)
done = 0; target = args.latency; finished = deferred()
const sent = await sendSpaced(args.latency, (id) => queue.add('lat', { id }))
await finished.promise
const latency = latencySummary([...sent].map(([id, t]) => starts.get(id)! - t))
await worker.close()

done = 0; target = args.mixed; finished = deferred()
for (let i = 0; i < args.mixed; i += 5000) {
  await queue.addBulk(Array.from({ length: Math.min(5000, args.mixed - i) }, (_, j) => ({ name: `m${((i + j) % 4) + 1}`, data: kib(i + j), opts: { attempts: 2 } })))
}
t0 = performance.now()
worker = startWorker()
await finished.promise
const mixedPerSec = args.mixed / ((performance.now() - t0) / 1000)
await worker.close()
await queue.obliterate({ force: true }).catch(() => undefined)
await queue.close()
emit({ system: 'BullMQ 6.7 (Redis)', bulkPerSec, burnPerSec, latency, mixedPerSec, workerPeakRssMb: rss.peakMb(), notes: 'handlers in process' })
process.exit(0)
