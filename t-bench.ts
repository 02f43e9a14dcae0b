import { PostgresDriver } from './src/queue/postgres/driver.ts'
import { validateNewTask } from './src/core/validate.ts'
import { TEST_PG, dropSchema, uniqueSchema } from './test/helpers.ts'
const schema = uniqueSchema('bench')
const d = await PostgresDriver.open({ connectionString: TEST_PG, schema })
await d.schemaMigrate()
const n = 40000
for (let i = 0; i < n; i += 1000) await d.taskInsertMany({ tasks: [...Array(1000)].map((_, j) => validateNewTask({ type: 'b', payload: { i: i + j, url: 'https://example.com/x.png' } }, { maxPayloadBytes: 1 << 20 })) })
const batch = Number(process.argv[2] ?? 250), loops = Number(process.argv[3] ?? 4)
let claimMs = 0, completeMs = 0, calls = 0
const t = performance.now()
await Promise.all([...Array(loops)].map(async (_, k) => {
  for (;;) {
    let t0 = performance.now()
    const got = await d.taskClaim({ droneId: 'b' + k, droneName: 'b', wants: [{ type: 'b', limit: batch }], leaseMs: 60000 })
    claimMs += performance.now() - t0
    if (!got.length) return
    t0 = performance.now()
    await d.taskComplete({ droneId: 'b', completions: got.map(c => ({ id: c.id, leaseSeq: c.leaseSeq, outcome: { kind: 'succeeded' as const, resultJson: '{"ok":true}' } })) })
    completeMs += performance.now() - t0; calls++
  }
}))
const ms = performance.now() - t
console.log(`batch ${batch} loops ${loops}: ${(n / ms * 1000).toFixed(0)} tasks/s; claim ${(claimMs / calls).toFixed(1)} ms, complete ${(completeMs / calls).toFixed(1)} ms per batch`)
await d.close(); await dropSchema(schema)
