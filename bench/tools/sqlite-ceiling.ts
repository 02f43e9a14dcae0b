// The embedded queue's own statements alone, one thread, no drone and no workers:
//   node --import tsx bench/tools/sqlite-ceiling.ts [tasks=50000] [batch=500]
// claim + complete (succeeded) through SqliteDriver, in batches: the ceiling of a SQLite burn-down.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { validateNewTask } from '../../src/core/validate.ts'
import { SqliteDriver } from '../../src/queue/sqlite/driver.ts'

const N = Number(process.argv[2] ?? 50_000)
const B = Number(process.argv[3] ?? 500)
const dir = mkdtempSync(join(tmpdir(), 'swarmage-sqlite-ceiling-'))
const d = await SqliteDriver.open({ path: join(dir, 'q.db') })
await d.schemaMigrate()
const tasks = Array.from({ length: N }, () => validateNewTask({ type: 'noop', payload: {} }, { maxPayloadBytes: 1 << 20 }))
for (let i = 0; i < N; i += 5000) await d.taskInsertMany({ tasks: tasks.slice(i, i + 5000) })
let done = 0, claimMs = 0, completeMs = 0
const t0 = performance.now()
for (;;) {
  let t = performance.now()
  const got = await d.taskClaim({ droneId: 'x', droneName: 'x', wants: [{ type: 'noop', limit: B }], leaseMs: 60_000 })
  claimMs += performance.now() - t
  if (got.length === 0) break
  t = performance.now()
  await d.taskComplete({ droneId: 'x', completions: got.map((c) => ({ id: c.id, leaseSeq: c.leaseSeq, outcome: { kind: 'succeeded', resultJson: 'null' }, workerPid: 1 })) })
  completeMs += performance.now() - t
  done += got.length
}
const s = (performance.now() - t0) / 1000
console.log(`sqlite claim + complete: ${Math.round(done / s)} tasks/s   claim ${((claimMs * 1000) / done).toFixed(1)} µs/task  complete ${((completeMs * 1000) / done).toFixed(1)} µs/task`)
await d.close()
rmSync(dir, { recursive: true, force: true })
