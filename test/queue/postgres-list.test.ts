import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Task, TaskState } from '../../src/core/task.ts'
import { validateNewTask } from '../../src/core/validate.ts'
import type { TaskListParams } from '../../src/queue/driver.ts'
import { PostgresDriver } from '../../src/queue/postgres/driver.ts'
import { listQuery } from '../../src/queue/postgres/list.ts'
import { buildStatements } from '../../src/queue/postgres/sql.ts'
import { TEST_PG, dropSchema, uniqueSchema } from '../helpers.ts'

// Migration 7 leaves running tasks out of tasks_list (a claim adds no entry to it:
// docs/performance.md#third-round); a list page merges them back from tasks_rescue. Checked against
// the plain ORDER BY over the whole table, page by page, with running tasks among the others.
describe('PostgreSQL task list with running tasks outside tasks_list', () => {
  const schema = uniqueSchema('pglist')
  let d: PostgresDriver
  const c = new pg.Client({ connectionString: TEST_PG })
  const all = async (state?: TaskState): Promise<string[]> =>
    (await c.query<{ id: string }>(`SELECT id::text AS id FROM "${schema}".tasks ${state ? 'WHERE state = $1' : ''} ORDER BY created_at DESC, id DESC`, state ? [state] : [])).rows.map((r) => r.id)
  const pages = async (params: Omit<TaskListParams, 'limit' | 'before'>, limit: number): Promise<string[]> => {
    const out: Task[] = []
    for (;;) {
      const last = out[out.length - 1]
      const page = await d.taskList({ ...params, limit, ...(last ? { before: { createdAt: last.createdAt, id: last.id } } : {}) })
      out.push(...page)
      if (page.length < limit) return out.map((t) => t.id)
    }
  }

  beforeAll(async () => {
    d = await PostgresDriver.open({ connectionString: TEST_PG, schema, poolSize: 2 })
    await d.schemaMigrate()
    await c.connect()
    // Four enqueue batches (each shares one created_at), claimed in part: some tasks of every batch
    // end running, some succeeded, some stay queued.
    for (let b = 0; b < 4; b++) {
      await d.taskInsertMany({ tasks: Array.from({ length: 6 }, (_, i) => validateNewTask({ type: i % 2 ? 'odd' : 'even', payload: { b, i } }, { maxPayloadBytes: 1 << 20 })) })
      const claimed = await d.taskClaim({ droneId: 'dr', droneName: 'drone', wants: [{ type: 'odd', limit: 2 }, { type: 'even', limit: 1 }], leaseMs: 60_000 })
      const [done] = claimed
      await d.taskComplete({ droneId: 'dr', completions: [{ id: done!.id, leaseSeq: done!.leaseSeq, outcome: { kind: 'succeeded', resultJson: 'null' } }] })
    }
  })
  afterAll(async () => {
    await c.end()
    await d.close()
    await dropSchema(schema)
  })

  it('pages through every state in the table order, running tasks included', async () => {
    const states = (await c.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM "${schema}".tasks GROUP BY state`)).rows
    expect(Object.fromEntries(states.map((r) => [r.state, r.n]))).toEqual({ queued: 12, running: 8, succeeded: 4 })
    for (const limit of [1, 5, 100]) expect(await pages({}, limit)).toEqual(await all())
    expect(await pages({ state: 'running' }, 3)).toEqual(await all('running'))
    expect(await pages({ state: 'queued' }, 5)).toEqual(await all('queued'))
    expect((await pages({ type: 'odd', state: 'running' }, 2)).length).toBe(8)
  })

  it('reads a page through tasks_list and tasks_rescue, not by scanning the table; pruning walks tasks_list', async () => {
    // Many finished tasks, a few running: the plan of the first page and of a later one.
    await c.query(`INSERT INTO "${schema}".tasks (id, type, payload, state, run_at, max_attempts, created_at, finished_at)
      SELECT gen_random_uuid(), 'bulk', '{}', 'succeeded', now(), 1, now() - g * interval '1 second', now() - g * interval '1 second' FROM generate_series(1, 20000) g`)
    await c.query(`ANALYZE "${schema}".tasks`)
    for (const params of [{ limit: 50 }, { limit: 50, before: { createdAt: new Date(Date.now() - 60_000).toISOString(), id: '00000000-0000-0000-0000-000000000000' } }]) {
      const q = listQuery(schema, params, 'list')
      const plan = (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.text}`, q.values)).rows.map((r) => r['QUERY PLAN']).join('\n')
      expect(plan).toMatch(/tasks_list/)
      expect(plan).toMatch(/tasks_rescue/)
      expect(plan).not.toMatch(/Seq Scan/)
    }
    // Pruning walks the same index from the oldest end: its state IN (finished) implies the predicate.
    // (The rows finished in the past, so the planner sees a backlog to prune: with every row finished
    // just now it expected none and chose a scan and sort, which is right for an empty backlog.)
    const prune = buildStatements(schema).prune
    const plan = (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${prune.text}`, [1000, 500])).rows.map((r) => r['QUERY PLAN']).join('\n')
    expect(plan).toMatch(/Index Scan Backward using tasks_list/)
  })
})
