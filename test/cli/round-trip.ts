import { expect } from 'vitest'
import { cli, fails, jsonLines, ok } from './cli.ts'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

/**
 * enqueue / tasks / task / cancel / retry / stats / delete through the real CLI against one queue,
 * with every --json output parsed and checked field by field. The queue must start empty.
 */
export async function roundTrip(address: string, cwd: string): Promise<void> {
  const run = (...args: string[]) => cli([...args, '--queue', address], { cwd })

  // Independent enqueues run side by side: each spawn costs ~0.5 s.
  const [a1, b, a2] = await Promise.all([
    run('enqueue', 'alpha', '{"n":1}', '--priority', '5', '--max-attempts', '3', '--key', 'k1', '--json'),
    run('enqueue', 'beta', '--delay', '60000', '--json'),
    run('enqueue', 'alpha', '{"n":2}'),
  ])
  const alpha1 = (JSON.parse(ok(a1)) as { id: string }).id
  const beta = (JSON.parse(ok(b)) as { id: string }).id
  const alpha2 = ok(a2).trim()
  for (const id of [alpha1, beta, alpha2]) expect(id).toMatch(/^[0-9a-f-]{36}$/)
  expect(new Set([alpha1, beta, alpha2]).size).toBe(3)

  const [dup, all, queuedAlpha, limited, human] = await Promise.all([
    run('enqueue', 'alpha', '{"n":99}', '--key', 'k1', '--json'),
    run('tasks', '--json'),
    run('tasks', '--state', 'queued', '--type', 'alpha', '--json'),
    run('tasks', '--limit', '1', '--json'),
    run('tasks'),
  ])
  // A live task with the same key: no second task, the first one's id.
  expect(JSON.parse(ok(dup))).toEqual({ id: alpha1 })
  const tasks = jsonLines(ok(all)) as Array<Record<string, unknown>>
  expect(tasks.map((t) => t.id).sort()).toEqual([alpha1, beta, alpha2].sort())
  const t1 = tasks.find((t) => t.id === alpha1)!
  expect(Object.keys(t1).sort()).toEqual(
    ['id', 'type', 'payload', 'state', 'priority', 'runAt', 'attempts', 'maxAttempts', 'key', 'parentId', 'group', 'result', 'error', 'drone', 'createdAt', 'startedAt', 'finishedAt'].sort(),
  )
  expect(t1).toMatchObject({ type: 'alpha', payload: { n: 1 }, state: 'queued', priority: 5, attempts: 0, maxAttempts: 3, key: 'k1' })
  expect(t1).toMatchObject({ parentId: null, result: null, error: null, drone: null, startedAt: null, finishedAt: null })
  expect(t1.createdAt).toMatch(ISO)
  expect(t1.runAt).toMatch(ISO)
  const tb = tasks.find((t) => t.id === beta)!
  expect(tb).toMatchObject({ type: 'beta', payload: null, priority: 0, maxAttempts: 5, key: null })
  const delay = Date.parse(tb.runAt as string) - Date.parse(tb.createdAt as string)
  expect(delay).toBeGreaterThan(59_000)
  expect(delay).toBeLessThan(61_000)
  expect((jsonLines(ok(queuedAlpha)) as Array<{ id: string }>).map((t) => t.id).sort()).toEqual([alpha1, alpha2].sort())
  expect(jsonLines(ok(limited))).toHaveLength(1)
  const table = ok(human)
  expect(table.split('\n')[0]).toMatch(/^ID\s+TYPE\s+STATE\s+ATTEMPTS/)
  for (const id of [alpha1, beta, alpha2]) expect(table).toContain(id)

  const shown = JSON.parse(ok(await run('task', alpha2, '--json'))) as Record<string, unknown>
  expect(shown).toMatchObject({ id: alpha2, type: 'alpha', payload: { n: 2 }, state: 'queued', logs: [], children: [] })

  const cancelled = JSON.parse(ok(await run('cancel', alpha2, '--json'))) as Record<string, unknown>
  expect(cancelled).toMatchObject({ id: alpha2, state: 'cancelled' })
  expect(cancelled.finishedAt).toMatch(ISO)
  // cancelled → cancel again is refused: bad input, exit 2.
  const again = await run('cancel', alpha2)
  fails(again, 2, new RegExp(`task ${alpha2} is cancelled: only queued or running tasks can be cancelled`))
  const r = JSON.parse(ok(await run('retry', alpha2, '--json'))) as Record<string, unknown>
  expect(r).toMatchObject({ id: alpha2, state: 'queued', attempts: 0, finishedAt: null })
  ok(await run('cancel', alpha2))

  const [statsJson, statsText] = await Promise.all([run('stats', '--json'), run('stats')])
  const stats = JSON.parse(ok(statsJson)) as Record<string, unknown>
  expect(Object.keys(stats).sort()).toEqual(['drones', 'types'])
  expect(stats.types).toEqual({
    alpha: { queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 1 },
    beta: { queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
  })
  expect(stats.drones).toEqual([])
  expect(ok(statsText)).toMatch(/^alpha\s+1\s+0\s+0\s+0\s+1$/m)

  expect(JSON.parse(ok(await run('delete', alpha2, '--json')))).toEqual({ id: alpha2, deleted: true })
  const [gone, left] = await Promise.all([run('task', alpha2), run('tasks', '--json')])
  fails(gone, 2, new RegExp(`no task with id ${alpha2}`))
  expect((jsonLines(ok(left)) as Array<{ id: string }>).map((t) => t.id).sort()).toEqual([alpha1, beta].sort())
}
