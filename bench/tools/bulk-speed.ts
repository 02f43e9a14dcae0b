// A bulk cancel of N queued tasks on PostgreSQL, the one-statement-per-batch path against task by task,
// alternated in one run (docs/performance.md#bulk-actions):  node --import tsx bench/tools/bulk-speed.ts
import { openQueue } from '../../src/queue/open.ts'
const schema = `t_bulkspeed_${process.pid}`
const q = await openQueue(`postgres://postgres@127.0.0.1:5432/test?schema=${schema}`, { migrate: true })
const n = 20_000
for (const mode of ['batched', 'single', 'batched', 'single']) {
  await q.enqueueMany(Array.from({ length: n }, (_, i) => ({ type: 'speed', payload: { i } })))
  const saved = q.driver.taskBulkApply
  if (mode === 'single') (q.driver as { taskBulkApply?: unknown }).taskBulkApply = undefined
  const t0 = performance.now()
  const r = await q.bulk('cancel', { type: 'speed', state: 'queued' })
  const s = (performance.now() - t0) / 1000
  ;(q.driver as { taskBulkApply?: unknown }).taskBulkApply = saved
  console.log(`${mode}: ${r.changed} cancelled in ${s.toFixed(2)} s = ${Math.round(r.changed / s)} tasks/s`)
  await q.bulk('delete', { type: 'speed' })
}
await q.close()
const pg = await import('pg')
const c = new pg.default.Client('postgres://postgres@127.0.0.1:5432/test'); await c.connect(); await c.query(`DROP SCHEMA ${schema} CASCADE`); await c.end()
