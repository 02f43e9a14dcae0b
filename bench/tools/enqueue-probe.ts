// p50 of one enqueue() round trip on PostgreSQL (the first step of enqueue→start latency).
import pg from 'pg'
import { openQueue } from '../../src/index.ts'
import { PG } from '../lib.ts'
const schema = `sw_enq_${process.pid}`
const queue = await openQueue(`${PG}?schema=${schema}`, { migrate: true })
let drone: { stop(): Promise<void> } | undefined
if (process.argv.includes('--drone')) {
  const { Drone } = await import('../../src/index.ts')
  const { workers } = await import('../runners/swarmage-config.ts')
  const d = new Drone({ queue, workers: { x: workers.lat }, drone: { name: `enq-${process.pid}` }, localQueuePath: `/tmp/enq-${process.pid}.db` })
  await d.start()
  drone = d
}
const { monitorEventLoopDelay } = await import('node:perf_hooks')
const h = monitorEventLoopDelay({ resolution: 1 })
h.enable()
const xs: number[] = []
for (let i = 0; i < 300; i++) {
  const t = performance.now()
  await queue.enqueue('x', { i })
  xs.push(performance.now() - t)
}
h.disable()
console.log(`event loop delay p50 ${(h.percentile(50) / 1e6).toFixed(2)} ms p99 ${(h.percentile(99) / 1e6).toFixed(2)} ms max ${(h.max / 1e6).toFixed(2)} ms`)
xs.sort((a, b) => a - b)
console.log(`enqueue p50 ${xs[150]!.toFixed(2)} ms p90 ${xs[270]!.toFixed(2)} ms`)
await drone?.stop()
await queue.close()
const c = new pg.Client({ connectionString: PG }); await c.connect(); await c.query(`drop schema if exists "${schema}" cascade`); await c.end()
