// A default drone's burn-down beside hand-tuned buffers, alternated in one run (docs/performance.md#elastic-room):
//   N=30000 node --import tsx bench/tools/capacity.ts 15,500
// PostgreSQL, 2 processes × concurrency 50 of no-op tasks; each value is a bufferPerWorker (15 is the default).
import { join } from 'node:path'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Drone, openQueue } from '../../src/index.ts'
const mod = join(process.cwd(), 'bench/workers/noop.mjs')
const schema = `t_cap_${process.pid}`
const q = await openQueue(`postgres://postgres@127.0.0.1:5432/test?schema=${schema}`, { migrate: true })
const n = Number(process.env.N ?? 20000)
const bufs = (process.argv[2] ?? '15,200,500').split(',').map(Number)
for (let round = 0; round < 2; round++) for (const b of bufs) {
  await q.enqueueMany(Array.from({ length: n }, (_, i) => ({ type: 'noop', payload: { i } })))
  const drone = new Drone({ queue: q, workers: { noop: { module: mod, processes: 2, concurrency: 50 } }, drone: { bufferPerWorker: b, name: `cap${b}` }, localQueuePath: join(mkdtempSync(join(tmpdir(), 'cap-')), 'l.db') })
  let done = 0; let t0 = 0
  const finished = new Promise<void>((r) => drone.on('event', (e) => { if (e.kind === 'started' && !t0) t0 = performance.now(); if (e.kind === 'succeeded' && ++done === n) r() }))
  await drone.start()
  let most = 0
  const iv = setInterval(() => { most = Math.max(most, drone.holdings().length) }, 10)
  await finished
  clearInterval(iv)
  const s = (performance.now() - t0) / 1000
  console.log(`bufferPerWorker ${b} (capacity ${drone.snapshot().types[0]!.capacity}): ${Math.round(n / s)} tasks/s, most in hand ${most}`)
  await drone.stop()
}
await q.close()
const pg = await import('pg'); const c = new pg.default.Client('postgres://postgres@127.0.0.1:5432/test'); await c.connect(); await c.query(`DROP SCHEMA ${schema} CASCADE`); await c.end()
