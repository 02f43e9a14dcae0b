import { prepareValue } from 'pg/lib/utils.js'
import { validateNewTask } from '../src/core/validate.ts'
import { tasksJson } from '../src/queue/postgres/insert.ts'
for (const payload of [{}, { i: 1, s: 'x'.repeat(100), n: [1, 2, 3] }]) {
  const tasks = Array.from({ length: 5000 }, () => validateNewTask({ type: 'noop', payload }, { maxPayloadBytes: 1e6 }))
  const arrays = () => [tasks.map((t) => t.id), tasks.map((t) => t.type), tasks.map((t) => t.payloadJson), tasks.map((t) => t.priority), tasks.map((t) => t.runAt), tasks.map((t) => t.delayMs), tasks.map((t) => t.maxAttempts), tasks.map((t) => t.key), tasks.map((t) => t.parentId)].map((a) => prepareValue(a))
  const json = () => tasksJson(tasks)
  for (const [name, f] of [['arrays', arrays], ['json', json]] as const) {
    for (let i = 0; i < 20; i++) f()
    const t0 = performance.now()
    for (let i = 0; i < 50; i++) f()
    console.log(JSON.stringify(payload).length, name, ((performance.now() - t0) / 50 / 5000 * 1000).toFixed(2), 'µs/task')
  }
}
