// A drone process alone on PostgreSQL (the tasks are enqueued by a child process first, so no
// producer garbage is counted): burn-down rate, drone CPU per task, peak RSS, and with HPROF=1 the
// bytes allocated per task by function (V8's sampling heap profiler, collected objects included).
//   node --import tsx bench/tools/drone-memory.ts [tasks=50000] [--v8-defaults]   (tsx's loader adds ~40 MB
//   of RSS; bundle it with esbuild into bench/.build to measure RSS as deployed)
// The drone's heap is bound as `swarmage drone` bounds it (src/drone/heap.ts); --v8-defaults leaves V8 alone.
import { Drone, openQueue } from '../../src/index.ts'
import { workers, droneOptions } from '../runners/swarmage-config.ts'
import pg from 'pg'
import { execFileSync } from 'node:child_process'
import { useDroneHeap } from '../../src/drone/heap.ts'
const schema = `sw_mem_${process.pid}`
const address = `postgres://postgres@127.0.0.1:5432/test?schema=${schema}`
const N = Number(process.argv[2] ?? 50000)
if (process.argv[3] === 'enqueue') {
  const q = await openQueue(process.argv[4]!, { migrate: true })
  const all = Array.from({ length: N }, () => ({ type: 'noop', payload: {} }))
  for (let i = 0; i < all.length; i += 5000) await q.enqueueMany(all.slice(i, i + 5000))
  await q.close(); process.exit(0)
}
execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, String(N), 'enqueue', address], { stdio: 'inherit' })
if (!process.argv.includes('--v8-defaults')) useDroneHeap()
const queue = await openQueue(address)
const drone = new Drone({ queue, workers: { noop: workers.noop }, drone: { ...droneOptions, name: `mem-${process.pid}` }, localQueuePath: `/tmp/mem-${process.pid}.db` })
let peak = 0
const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 20)
const { Session } = await import('node:inspector/promises')
const session = new Session(); session.connect()
if (process.env.HPROF) await session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as any)
const t0 = performance.now(); const c0 = process.cpuUsage()
await drone.start()
while ((drone.snapshot().types[0]?.done ?? 0) < N) await new Promise((r) => setTimeout(r, 10))
const cu = process.cpuUsage(c0)
clearInterval(t)
const { profile } = process.env.HPROF ? (await session.post('HeapProfiler.stopSampling')) as any : { profile: { head: { callFrame: {}, selfSize: 0, children: [] } } }
const self = new Map<string, number>()
let total = 0
const walk = (n: any): void => {
  const f = n.callFrame
  const k = `${f.functionName || '(anon)'} ${String(f.url).split('/').slice(-1)[0]}:${f.lineNumber}`
  self.set(k, (self.get(k) ?? 0) + n.selfSize); total += n.selfSize
  for (const c of n.children) walk(c)
}
walk(profile.head)
if (process.env.HPROF) console.log('allocated (sampled) MB', (total / 1048576).toFixed(0), 'per task bytes', Math.round(total / N))
if (process.env.HPROF) for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / total * 100).toFixed(1).padStart(5) + '%', Math.round(v / N).toString().padStart(5), 'B/task ', k)
console.log(`${Math.round(N / ((performance.now() - t0) / 1000))}/s cpu ${((cu.user + cu.system) / N).toFixed(1)} µs/task peak rss ${Math.round(peak / 1048576)} MB`)
await drone.stop(); await queue.close()
const c = new pg.Client('postgres://postgres@127.0.0.1:5432/test'); await c.connect(); await c.query(`drop schema ${schema} cascade`); await c.end()
