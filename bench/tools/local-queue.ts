// The local queue alone, the write pattern of a no-op burn-down (claim, dispatch, start + finish in one turn,
// acknowledge), in batches of B: its CPU per task and statements (docs/performance.md, "Third round — the drone").
//   node --import tsx bench/tools/local-queue.ts [tasks=50000] [batch=115]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalQueue } from '../../src/drone/local-queue.ts'
import { uuidv7 } from '../../src/core/ids.ts'
const N = Number(process.argv[2] ?? 50000), B = Number(process.argv[3] ?? 115)
const dir = mkdtempSync(join(tmpdir(), 'lqb-'))
const lq = LocalQueue.open({ path: join(dir, 'l.db') })
const c0 = process.cpuUsage(); const t0 = performance.now()
for (let i = 0; i < N; i += B) {
  const claimed = Array.from({ length: B }, () => ({ id: uuidv7(), type: 'noop', payloadJson: '{}', attempt: 1, maxAttempts: 3, parentId: null, leaseSeq: 1, traceparent: null }))
  const ts = lq.taskInsertMany({ tasks: claimed as never })
  for (const t of ts) lq.taskUpdate({ id: t.id, to: 'dispatched', workerId: 'w1', pid: 1 }, t)
  lq.flush()
  for (const t of ts) lq.taskUpdate({ id: t.id, to: 'started', at: Date.now() }, t)
  for (const t of ts) lq.taskUpdate({ id: t.id, to: 'done', completion: { id: t.id, leaseSeq: 1, outcome: { kind: 'succeeded', resultJson: 'null' }, startedAt: new Date(), workerPid: 1 } as never }, t)
  lq.flush()
  lq.taskDeleteMany({ refs: ts.map((t) => ({ id: t.id, leaseSeq: 1 })) })
  lq.flush()
}
const cu = process.cpuUsage(c0)
console.log(`local queue: ${((cu.user + cu.system) / N).toFixed(2)} µs/task cpu, ${((performance.now() - t0) * 1000 / N).toFixed(2)} µs wall`, lq.writes)
lq.close(); rmSync(dir, { recursive: true })
