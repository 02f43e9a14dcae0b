import { openQueue } from '../src/index.ts'
import pg from 'pg'
const schema = `sw_bq_${process.pid}`
const q = await openQueue(`postgres://postgres@127.0.0.1:5432/test?schema=${schema}`, { migrate: true })
const out: string[] = []
for (let rep = 0; rep < 4; rep++) {
  const all = Array.from({ length: 50000 }, (_, i) => ({ type: 'noop', payload: rep % 2 ? { i, s: 'x'.repeat(100), n: [1, 2, 3] } : {} }))
  const t0 = performance.now(); const c0 = process.cpuUsage()
  for (let i = 0; i < all.length; i += 5000) await q.enqueueMany(all.slice(i, i + 5000))
  const cu = process.cpuUsage(c0); out.push(`${rep % 2 ? '150B' : '{}'} ${Math.round(50000 / ((performance.now() - t0) / 1000))}/s cpu ${((cu.user + cu.system) / 50000).toFixed(1)}µs`)
}
console.log(process.argv[2] ?? '', out.join(' | '))
await q.close()
const c = new pg.Client('postgres://postgres@127.0.0.1:5432/test'); await c.connect(); await c.query(`drop schema ${schema} cascade`); await c.end()
