import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validateNewTask } from '../../src/core/validate.ts'
import { PostgresDriver } from '../../src/queue/postgres/driver.ts'
import { TEST_PG, dropSchema, uniqueSchema } from '../helpers.ts'

// Migration 7: a succeeded attempt is kept on the task row, not as a task_attempts row
// (docs/performance.md#third-round); the attempt list reads it back. The conformance suite checks
// what the list shows; this checks where it is stored, and that older rows are not shown twice.
describe('PostgreSQL succeeded attempts on the task row', () => {
  const schema = uniqueSchema('pgatt')
  let d: PostgresDriver
  const c = new pg.Client({ connectionString: TEST_PG })
  const attemptRows = async (id: string) =>
    (await c.query<{ outcome: string }>(`SELECT outcome FROM "${schema}".task_attempts WHERE task_id = $1 ORDER BY id`, [id])).rows.map((r) => r.outcome)

  beforeAll(async () => {
    d = await PostgresDriver.open({ connectionString: TEST_PG, schema, poolSize: 2 })
    await d.schemaMigrate()
    await c.connect()
  })
  afterAll(async () => {
    await c.end()
    await d.close()
    await dropSchema(schema)
  })

  const runOnce = async (type: string, kind: 'succeeded' | 'retry', startedAt: Date) => {
    const [claimed] = await d.taskClaim({ droneId: 'dr', droneName: 'drone-a', wants: [{ type, limit: 1 }], leaseMs: 60_000 })
    if (!claimed) throw new Error(`nothing of type ${type} to claim`)
    const outcome = kind === 'succeeded'
      ? { kind: 'succeeded' as const, resultJson: '{"ok":true}' }
      : { kind: 'failed' as const, error: { message: 'again' }, retryDelayMs: 0 }
    expect(await d.taskComplete({ droneId: 'dr', completions: [{ id: claimed.id, leaseSeq: claimed.leaseSeq, outcome, workerPid: 77, startedAt }] })).toEqual({ refused: [] })
    return claimed
  }

  it('writes no attempt row for a success, and lists it from the task row after the earlier attempts', async () => {
    const [id] = await d.taskInsertMany({ tasks: [validateNewTask({ type: 'att', payload: {} }, { maxPayloadBytes: 1 << 20 })] })
    const first = new Date(Date.now() - 2000)
    const second = new Date(Date.now() - 1000)
    await runOnce('att', 'retry', first)
    await runOnce('att', 'succeeded', second)
    expect(await attemptRows(id!)).toEqual(['retried'])
    const list = await d.taskAttemptList({ id: id! })
    expect(list).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'retried', startedAt: first.toISOString(), drone: 'drone-a', workerPid: 77 }),
      { taskId: id, attempt: 2, drone: 'drone-a', workerPid: 77, startedAt: second.toISOString(), finishedAt: (await d.taskGet({ id: id! }))!.finishedAt, outcome: 'succeeded', error: null },
    ])
  })

  it('lists a success stored as a row before migration 7 once, not again from the task row', async () => {
    const [id] = await d.taskInsertMany({ tasks: [validateNewTask({ type: 'old', payload: {} }, { maxPayloadBytes: 1 << 20 })] })
    await runOnce('old', 'succeeded', new Date())
    // What a version-6 completion wrote for the same success.
    await c.query(`INSERT INTO "${schema}".task_attempts (task_id, attempt, drone, worker_pid, started_at, finished_at, outcome)
      VALUES ($1, 1, 'drone-a', 77, now(), now(), 'succeeded')`, [id])
    const list = await d.taskAttemptList({ id: id! })
    expect(list.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'succeeded']])
  })

  it('keeps the failure rows of a task that failed for good (only successes live on the row)', async () => {
    const [id] = await d.taskInsertMany({ tasks: [validateNewTask({ type: 'bad', payload: {}, options: { maxAttempts: 1 } }, { maxPayloadBytes: 1 << 20 })] })
    await runOnce('bad', 'retry', new Date())
    expect((await d.taskGet({ id: id! }))!.state).toBe('failed')
    expect(await attemptRows(id!)).toEqual(['failed'])
    expect((await d.taskAttemptList({ id: id! })).map((a) => a.outcome)).toEqual(['failed'])
  })
})
