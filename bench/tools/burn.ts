// A burn-down alone, for profiling and A/B runs of the drone's hot path (not part of bench:peers):
//   node --import tsx bench/tools/burn.ts sqlite|postgres [tasks=20000] [--listen] [--limits=type|all]
// --limits=type sets maxRunning and rate on the type, --limits=all also groupMaxRunning and groupRate
// with tasks spread over 100 groups; every limit is far above the rate reached, so the claim pays for
// counting and logging starts without ever being held back (docs/performance.md#flow-control).
// Profile the drone and its workers: NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" node …
// --listen attaches an event listener (as the console and bench runner do), so every event is built.
// The process's heap is bound as `swarmage drone` bounds it (src/drone/heap.ts); --v8-defaults leaves V8 alone.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { Drone, openQueue } from '../../src/index.ts'
import { PG, sleep } from '../lib.ts'
import { droneOptions, workers } from '../runners/swarmage-config.ts'
import { useDroneHeap } from '../../src/drone/heap.ts'

if (!process.argv.includes('--v8-defaults')) useDroneHeap()

const backend = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres'
const tasks = Number(process.argv[3] ?? 20_000)
const listen = process.argv.includes('--listen')
const limits = process.argv.find((a) => a.startsWith('--limits='))?.slice('--limits='.length)
const schema = `sw_burn_${process.pid}`
const dir = mkdtempSync(join(tmpdir(), 'swarmage-burn-'))
const address = backend === 'postgres' ? `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` : `sqlite:${join(dir, 'swarm.db')}`
const queue = await openQueue(address, { migrate: true })
const noopOnly = { noop: workers.noop }
const drone = new Drone({ queue, workers: noopOnly, drone: { ...droneOptions, name: `burn-${process.pid}` }, localQueuePath: process.env.BURN_LOCAL ?? join(dir, 'local.db') })
const trace = process.argv.includes('--trace')
const stat = (name: string) => ({ name, n: 0, items: 0, ms: 0, cpu: 0 })
const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000 }
const st = { claim: stat('claim'), complete: stat('complete'), items: stat('items msgs'), run: stat('run msgs') }
if (trace) {
  // Wraps the driver calls and process messages to count round trips, batch sizes and time in them.
  const d = queue.driver as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
  for (const [m, s, size] of [['taskClaim', st.claim, (r: unknown) => (r as unknown[]).length], ['taskComplete', st.complete, (_r: unknown, p: any) => p.completions.length]] as const) {
    const orig = d[m]!.bind(d)
    d[m] = async (p: unknown) => {
      const t = performance.now()
      const c = cpuMs()
      const r = await orig(p)
      s.n++; s.ms += performance.now() - t; s.items += size(r, p); s.cpu += cpuMs() - c
      return r
    }
  }
}
if (trace) {
  // Process messages: every `run` sent to a worker and every `items` received, with their sizes.
  const { WorkerPool } = await import('../../src/workers/pool.ts')
  const proto = WorkerPool.prototype as unknown as { dispatch: (t: unknown[]) => unknown[]; emit: (ev: string, ...a: unknown[]) => boolean }
  const dispatch = proto.dispatch
  proto.dispatch = function (tasks: unknown[]) {
    const r = dispatch.call(this, tasks)
    if (r.length) { st.run.n++; st.run.items += r.length }
    return r
  }
  const emit = proto.emit
  proto.emit = function (ev: string, ...a: unknown[]) {
    if (ev === 'items') { st.items.n++; st.items.items += (a[2] as unknown[]).length }
    return emit.call(this, ev, ...a)
  }
}
let localWrites: () => { transactions: number; inserts: number; updates: number; deletes: number } | undefined = () => undefined
if (trace) {
  const { LocalQueue } = await import('../../src/drone/local-queue.ts')
  const proto = LocalQueue.prototype as unknown as { write: () => void }
  const orig = proto.write
  const s = (st as Record<string, ReturnType<typeof stat>>).local = stat('local tx')
  proto.write = function (this: InstanceType<typeof LocalQueue>) {
    localWrites = () => this.writes
    const t = performance.now()
    const c = cpuMs()
    orig.call(this)
    s.n++; s.ms += performance.now() - t; s.cpu += cpuMs() - c
  }
}
let events = 0
if (listen) drone.on('event', () => void events++)
let t0 = performance.now()
if (limits === 'type' || limits === 'all') {
  const high = { maxRunning: 1_000_000, rate: '1000000/1s' }
  await queue.setTypeSettings('noop', limits === 'all' ? { ...high, groupMaxRunning: 1_000_000, groupRate: '1000000/1s' } : high)
}
const all = Array.from({ length: tasks }, (_, i) => (limits === 'all' ? { type: 'noop', payload: {}, options: { group: `g${i % 100}` } } : { type: 'noop', payload: {} }))
for (let i = 0; i < all.length; i += 5000) await queue.enqueueMany(all.slice(i, i + 5000))
const bulk = tasks / ((performance.now() - t0) / 1000)
let peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 }
// PostgreSQL CPU of this drone's own backends (its pool's connections, sampled from /proc: other
// sessions on the same server are not counted; background writers and autovacuum are not either).
const { readFileSync: readProc } = await import('node:fs')
const pgCpu = new Map<number, { start: number; last: number }>()
const pgPids = (): number[] => {
  const pool = (queue.driver as unknown as { pool?: { _clients?: { processID?: number | null }[] } }).pool
  return (pool?._clients ?? []).map((c) => c.processID ?? 0).filter((p) => p > 0)
}
const procCpuMs = (pid: number): number | null => {
  try {
    const f = readProc(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  } catch { return null }
}
const samplePg = () => {
  for (const pid of pgPids()) {
    const ms = procCpuMs(pid)
    if (ms === null) continue
    const e = pgCpu.get(pid)
    if (e) e.last = ms
    else pgCpu.set(pid, { start: ms, last: ms })
  }
}
if (backend === 'postgres') samplePg()
const memTimer = setInterval(() => {
  const m = process.memoryUsage()
  if (m.rss > peak.rss) peak = m
  if (backend === 'postgres') samplePg()
}, 20)
const cpu0 = process.cpuUsage()
t0 = performance.now()
await drone.start()
for (;;) {
  const done = drone.snapshot().types.reduce((n, t) => n + t.done, 0)
  if (done >= tasks) break
  await sleep(10)
}
const ms = performance.now() - t0
clearInterval(memTimer)
console.log('peak memory MB', Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1048576)])))
const w = localWrites()
if (w) {
  console.log(`local writes per task: ${(w.transactions / tasks).toFixed(3)} tx, ${(w.inserts / tasks).toFixed(2)} inserts, ${(w.updates / tasks).toFixed(2)} updates, ${(w.deletes / tasks).toFixed(2)} deletes`)
}
const cpu = process.cpuUsage(cpu0)
if (backend === 'postgres') samplePg()
const pgMs = [...pgCpu.values()].reduce((n, e) => n + e.last - e.start, 0)
// Worker CPU from /proc (ticks of 10 ms), read before the drain ends them.
const { readFileSync } = await import('node:fs')
let workerCpuMs = 0
for (const p of drone.snapshot().processes) {
  try {
    const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    workerCpuMs += (Number(f[11]) + Number(f[12])) * 10
  } catch { /* gone */ }
}
await drone.stop()
const stats = await queue.stats()
await queue.close()
if (backend === 'postgres') {
  const c = new pg.Client({ connectionString: PG })
  await c.connect()
  await c.query(`drop schema if exists "${schema}" cascade`)
  await c.end()
}
rmSync(dir, { recursive: true, force: true })
if (trace) for (const s of Object.values(st)) if (s.n) console.log(`${s.name}: ${s.n} calls, ${(s.items / s.n).toFixed(1)} per call, ${(s.ms / s.n).toFixed(2)} ms each (cpu ${(s.cpu / s.n).toFixed(2)})`)
const ok = stats.types.noop?.succeeded === tasks
console.log(
  `${backend} burn ${Math.round(tasks / (ms / 1000))}/s (${Math.round(ms)} ms) bulk ${Math.round(bulk)}/s drone cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms` +
    ` = ${((cpu.user + cpu.system) / 1000 / tasks * 1000).toFixed(1)} µs/task, workers ${Math.round(workerCpuMs)} ms = ${(workerCpuMs / tasks * 1000).toFixed(1)} µs/task (incl. start-up)${backend === 'postgres' ? `, postgres backends ${pgMs} ms = ${(pgMs / tasks * 1000).toFixed(1)} µs/task` : ''}${listen ? ` events ${events}` : ''}${ok ? '' : ' MISMATCH ' + JSON.stringify(stats.types.noop)}`,
)
process.exit(0)
