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
import { useDroneHeap } from '../../src/drone/heap.ts'
import { droneOptions, workers } from './swarmage-config.ts'
import { PG, deferred, emit, kib, latencySummary, cpuByRole, machineCpuMs, parseArgs, rssSampler, sleep } from '../lib.ts'

const args = parseArgs()
const backend = (process.argv[3] ?? 'postgres') as 'postgres' | 'sqlite'
const here = fileURLToPath(new URL('.', import.meta.url))
const schema = `sw_bench_${process.pid}`
const dir = mkdtempSync(join(tmpdir(), 'swarmage-bench-'))
const address = backend === 'postgres' ? `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` : `sqlite:${join(dir, 'swarm.db')}`

// As `swarmage drone` runs its process: the heap bound (docs/performance.md "Fourth round — memory").
useDroneHeap()
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

// Extra drones in their own processes (runners/swarmage-drone.ts). Cold: each starts at 'go'
// (spawning its workers inside the timed part). Warm: each starts paused before the clock (workers
// up, nothing claimed) and resumes at 'go', so the run times claiming under contention alone.
let extraPeakRss = 0
async function spawnExtras(mode: 'cold' | 'warm'): Promise<{ children: ChildProcess[]; done: Map<ChildProcess, number> }> {
  const children: ChildProcess[] = []
  const done = new Map<ChildProcess, number>()
  for (let i = 1; i < args.drones; i++) {
    // From sources under tsx, or bundled beside this file (peers.ts builds both).
    const ts = import.meta.url.endsWith('.ts')
    const child = fork(join(here, ts ? 'swarmage-drone.ts' : 'swarmage-drone.js'), [address, join(dir, `local-${mode}-${i}.db`), mode], { execArgv: ts ? ['--import', 'tsx'] : [] })
    children.push(child)
    await new Promise<void>((r) => child.once('message', () => r()))
    child.on('message', (m: { done?: number; peakRss?: number }) => {
      if (typeof m === 'object' && m.done !== undefined) done.set(child, m.done)
      if (typeof m === 'object' && m.peakRss !== undefined) extraPeakRss = Math.max(extraPeakRss, m.peakRss)
    })
  }
  return { children, done }
}

/** Burns down args.tasks queued no-op tasks with `d` and the extra drones; returns tasks/s. */
async function burn(d: Drone, mode: 'cold' | 'warm'): Promise<{ perSec: number; cpuPerTaskUs: number; busyShare: number; byRole: Record<string, number> }> {
  const extra = await spawnExtras(mode)
  counted = 0; target = args.tasks; finished = deferred()
  const cpu0 = machineCpuMs()
  const roles0 = cpuByRole()
  const t = performance.now()
  for (const c of extra.children) c.send('go')
  if (mode === 'warm') d.resume()
  else await d.start()
  if (args.drones > 1) {
    // Other drones' completions are not our events: each reports its count (swarmage-drone.ts).
    void (async () => {
      for (;;) {
        let total = d.snapshot().types.find((x) => x.type === 'noop')?.done ?? 0
        for (const n of extra.done.values()) total += n
        if (total >= args.tasks) return finished.resolve()
        await sleep(10)
      }
    })()
  }
  await finished.promise
  const perSec = args.tasks / ((performance.now() - t) / 1000)
  const cpu1 = machineCpuMs()
  const roles1 = cpuByRole()
  const byRole = Object.fromEntries(Object.entries(roles1).map(([k, v]) => [k, Math.round(((v - roles0[k as keyof typeof roles0]) * 1000) / args.tasks)]))
  const busy = cpu1.busy - cpu0.busy
  const cpuPerTaskUs = Math.round((busy * 1000) / args.tasks)
  const busyShare = Math.round((busy / (busy + cpu1.idle - cpu0.idle)) * 100) / 100
  for (const c of extra.children) c.kill('SIGTERM')
  await Promise.all(extra.children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
  return { perSec, cpuPerTaskUs, busyShare, byRole }
}

// burn-down, cold: the clock starts before the drones do (as the peers' runners start theirs)
let burnPeak = process.memoryUsage.rss()
const burnSampler = setInterval(() => (burnPeak = Math.max(burnPeak, process.memoryUsage.rss())), 50)
const burnPerSec = (await burn(drone, 'cold')).perSec
clearInterval(burnSampler)
burnPeak = Math.max(burnPeak, process.memoryUsage.rss())

// burn-down, warm (PostgreSQL): every drone started and paused before the clock; what 1, 2 and 4
// drones are compared on, since the cold figure of N drones also counts N drones' start-up.
let warm: Awaited<ReturnType<typeof burn>> | undefined
if (backend === 'postgres') {
  await drone.stop()
  for (let i = 0; i < noop.length; i += 5000) await queue.enqueueMany(noop.slice(i, i + 5000))
  drone = makeDrone('warm', { noop: noopWorkers })
  drone.pause()
  await drone.start()
  warm = await burn(drone, 'warm')
}
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
  warmBurnPerSec: warm?.perSec, warmCpuPerTaskUs: warm?.cpuPerTaskUs, warmBusyShare: warm?.busyShare, warmCpuByRoleUs: warm?.byRole,
  workerPeakRssMb: Math.round((workerPeak / 1048576) * 10) / 10,
  dronePeakRssMb: rss.peakMb(),
  droneBurnPeakRssMb: Math.round((burnPeak / 1048576) * 10) / 10,
  duplicates,
  extraDronePeakRssMb: extraPeakRss ? Math.round((extraPeakRss / 1048576) * 10) / 10 : undefined,
  notes: 'workers out of process; each phase its own drone, started inside the timed part',
})
process.exit(0)
