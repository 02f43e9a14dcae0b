// Swarmage on PostgreSQL or its embedded SQLite queue, workers in their own processes and every task
// written through the drone's local queue (as in production). Extra drones (--drones N) run in their
// own processes (runners/swarmage-drone.ts), sharing the queue.
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Drone, openQueue } from '../../src/index.ts'
import { droneOptions, workers } from './swarmage-config.ts'
import { PG, deferred, emit, kib, latencySummary, parseArgs, rssSampler, sleep } from '../lib.ts'

const args = parseArgs()
const backend = (process.argv[3] ?? 'postgres') as 'postgres' | 'sqlite'
const here = fileURLToPath(new URL('.', import.meta.url))
const schema = `sw_bench_${process.pid}`
const dir = mkdtempSync(join(tmpdir(), 'swarmage-bench-'))
const address = backend === 'postgres' ? `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` : `sqlite:${join(dir, 'swarm.db')}`

const rss = rssSampler()
const queue = await openQueue(address, { migrate: true })
let workerPeak = 0
let counted = 0
let target = Infinity
let finished = deferred()
const starts = new Map<string, number>()
// One drone per phase, each with the workers its phase runs (as graphile-worker's runner starts a
// runner per phase): the burn-down drone serves only the no-op type, so its start (inside the timed
// burn-down, as the peers' runner starts are) spawns the 2 processes that work, not 7 (~120 ms of CPU each).
const { noop: noopWorkers, ...otherWorkers } = workers
function makeDrone(name: string, w: Record<string, unknown>): Drone {
  const d = new Drone({ queue, workers: w as typeof workers, drone: { ...droneOptions, name: `bench-${name}-${process.pid}` }, localQueuePath: join(dir, `local-${name}.db`) })
  d.on('event', (e: any) => {
    // By type, not by id: a task may start before its enqueue call has returned its id. `e.at` is
    // when the worker process started it, just before calling the handler (epoch ms, sub-ms): the
    // same instant the peers' handlers record; the report's trip back to the drone is not counted.
    if (e.kind === 'started' && e.type === 'lat') starts.set(e.taskId, e.at)
    if (e.kind === 'succeeded' || e.kind === 'retried' || e.kind === 'failed') if (++counted === target) finished.resolve()
  })
  return d
}
let drone = makeDrone('burn', { noop: noopWorkers })
const sampler = setInterval(() => {
  for (const p of drone.snapshot().processes as Array<{ rssBytes: number }>) workerPeak = Math.max(workerPeak, p.rssBytes)
}, 100)

// bulk enqueue
let t0 = performance.now()
const noop = Array.from({ length: args.tasks }, () => ({ type: 'noop', payload: {} }))
for (let i = 0; i < noop.length; i += 5000) await queue.enqueueMany(noop.slice(i, i + 5000))
const bulkPerSec = args.tasks / ((performance.now() - t0) / 1000)

// burn-down, with extra drones in their own processes
const extra: ChildProcess[] = []
const extraDone = new Map<ChildProcess, number>()
for (let i = 1; i < args.drones; i++) {
  // From sources under tsx, or bundled beside this file (peers.ts builds both).
  const ts = import.meta.url.endsWith('.ts')
  const child = fork(join(here, ts ? 'swarmage-drone.ts' : 'swarmage-drone.js'), [address, join(dir, `local-${i}.db`)], { execArgv: ts ? ['--import', 'tsx'] : [] })
  extra.push(child)
  await new Promise<void>((r) => child.once('message', () => r()))
  child.on('message', (m: { done?: number }) => {
    if (typeof m === 'object' && m.done !== undefined) extraDone.set(child, m.done)
  })
}
counted = 0; target = args.tasks; finished = deferred()
let burnPeak = process.memoryUsage.rss()
const burnSampler = setInterval(() => (burnPeak = Math.max(burnPeak, process.memoryUsage.rss())), 50)
t0 = performance.now()
for (const c of extra) c.send('go')
await drone.start()
if (args.drones > 1) {
  // Other drones' completions are not our events: each reports its count (swarmage-drone.ts).
  void (async () => {
    for (;;) {
      const mine = drone.snapshot().types.find((t) => t.type === 'noop')?.done ?? 0
      let total = mine
      for (const n of extraDone.values()) total += n
      if (total >= args.tasks) return finished.resolve()
      await sleep(10)
    }
  })()
}
await finished.promise
const burnPerSec = args.tasks / ((performance.now() - t0) / 1000)
clearInterval(burnSampler)
burnPeak = Math.max(burnPeak, process.memoryUsage.rss())
for (const c of extra) c.kill('SIGTERM')
await Promise.all(extra.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
let duplicates: number | undefined
if (backend === 'postgres') {
  const c = new pg.Client({ connectionString: PG }); await c.connect()
  duplicates = Number((await c.query(`select count(*)::int n from "${schema}".tasks where type = 'noop' and attempts > 1`)).rows[0].n)
  await c.end()
}

// latency: one at a time, 5 ms apart, to an idle drone
await drone.stop()
const { lat: latWorkers, ...mixedWorkers } = otherWorkers
drone = makeDrone('lat', { lat: latWorkers })
await drone.start()
await sleep(300)
counted = 0; target = args.latency; finished = deferred()
const sent = new Map<string, number>()
for (let i = 0; i < args.latency; i++) {
  const t = performance.timeOrigin + performance.now()
  const id = await queue.enqueue('lat', { i })
  sent.set(id, t)
  await sleep(5)
}
await finished.promise
const latency = latencySummary([...sent].map(([id, t]) => starts.get(id)! - t))

// mixed: 4 types, 1 KiB payloads, 10% fail once; first pass timed (every task run once), from the
// drone's start after the enqueue, as the peers' runners time it (graphile-worker.ts)
await drone.stop()
counted = 0; target = args.mixed; finished = deferred()
const mixed = Array.from({ length: args.mixed }, (_, i) => ({ type: `m${(i % 4) + 1}`, payload: kib(i) }))
for (let i = 0; i < mixed.length; i += 5000) await queue.enqueueMany(mixed.slice(i, i + 5000))
t0 = performance.now()
drone = makeDrone('mixed', mixedWorkers)
await drone.start()
await finished.promise
const mixedPerSec = args.mixed / ((performance.now() - t0) / 1000)

clearInterval(sampler)
await drone.stop()
await queue.close()
if (backend === 'postgres') {
  const c = new pg.Client({ connectionString: PG }); await c.connect(); await c.query(`drop schema if exists "${schema}" cascade`); await c.end()
}
rmSync(dir, { recursive: true, force: true })
emit({
  system: `Swarmage (${backend === 'postgres' ? 'PostgreSQL' : 'SQLite'}${args.drones > 1 ? `, ${args.drones} drones` : ''})`,
  bulkPerSec, burnPerSec, latency, mixedPerSec,
  workerPeakRssMb: Math.round((workerPeak / 1048576) * 10) / 10,
  dronePeakRssMb: rss.peakMb(),
  droneBurnPeakRssMb: Math.round((burnPeak / 1048576) * 10) / 10,
  duplicates,
  notes: 'workers out of process; each phase its own drone, started inside the timed part',
})
process.exit(0)
