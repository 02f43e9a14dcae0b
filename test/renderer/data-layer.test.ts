/**
 * The renderer's data layer without a browser: pushes applied to a real TanStack QueryClient
 * (data/push-cache.ts), the task list's head merge (data/tasks.ts) and the hash routes (router/routes.ts).
 */
import { QueryClient, QueryObserver } from '@tanstack/react-query'
import { describe, expect, it } from 'vitest'
import type { ActivityEntry } from '../../src/api/audit.ts'
import type { BulkJobView } from '../../src/api/bulk-jobs.ts'
import type { DroneView, PushMessage, TaskDetail } from '../../src/api/contract.ts'
import type { Task } from '../../src/core/task.ts'
import { applyPushesToCache } from '../../src/renderer/src/data/push-cache.ts'
import { activityQuery, bulkJobsQuery, dronesQuery, taskQuery } from '../../src/renderer/src/data/queries.ts'
import { FIRST_PAGE, mergeHead, taskRows, type TasksData, type TasksPage } from '../../src/renderer/src/data/tasks.ts'
import { formatRoute, parseRoute, taskHref } from '../../src/renderer/src/router/routes.ts'
import { takeToken } from '../../src/renderer/src/transport/websocket.ts'

function task(id: string, over: Partial<Task> = {}): Task {
  const at = `2026-01-01T00:00:${id.padStart(2, '0').slice(-2)}.000Z`
  return { id, type: 'echo', payload: null, state: 'queued', priority: 0, runAt: at, attempts: 0, maxAttempts: 3, key: null, parentId: null, group: null, result: null, error: null, drone: null, createdAt: at, startedAt: null, finishedAt: null, ...over }
}

const entry = (id: number): ActivityEntry => ({ id, at: '2026-01-01T00:00:00.000Z', who: 'ipc', action: 'tasks.retry', target: String(id), outcome: 'ok' })
const job = (id: string, state: BulkJobView['state'], changed: number): BulkJobView => ({ id, connectionId: 'c', verb: 'retry', filter: {}, expected: 10, matched: changed, changed, state, startedAt: '2026-01-01T00:00:00.000Z' })
const flow = (recent: Extract<PushMessage, { channel: 'flow' }>['delta']['recent']): PushMessage => ({ channel: 'flow', delta: { droneId: 'd1', at: 0, windowMs: 100, types: {}, recent } })

describe('pushes → query cache', () => {
  it('replaces the pushed lists with the last message of a batch', () => {
    const qc = new QueryClient()
    const drones = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `d${i}` }) as DroneView)
    applyPushesToCache(qc, [
      { channel: 'drones', drones: drones(1) },
      { channel: 'drones', drones: drones(3) },
    ])
    expect(qc.getQueryData(dronesQuery().queryKey)?.map((d) => d.id)).toEqual(['d0', 'd1', 'd2'])
  })

  it('prepends activity once, and drops pushes for a list not loaded yet', () => {
    const qc = new QueryClient()
    applyPushesToCache(qc, [{ channel: 'activity', entry: entry(1) }])
    expect(qc.getQueryData(activityQuery().queryKey)).toBeUndefined()
    qc.setQueryData(activityQuery().queryKey, [entry(1)])
    applyPushesToCache(qc, [
      { channel: 'activity', entry: entry(2) },
      { channel: 'activity', entry: entry(2) },
      { channel: 'activity', entry: entry(1) },
    ])
    expect(qc.getQueryData(activityQuery().queryKey)?.map((e) => e.id)).toEqual([2, 1])
  })

  it('never lets a late "running" push replace a finished bulk job', () => {
    const qc = new QueryClient()
    qc.setQueryData(bulkJobsQuery().queryKey, [job('j1', 'running', 1)])
    applyPushesToCache(qc, [{ channel: 'bulk', job: job('j1', 'done', 10) }])
    applyPushesToCache(qc, [{ channel: 'bulk', job: job('j1', 'running', 5) }, { channel: 'bulk', job: job('j2', 'running', 0) }])
    const jobs = qc.getQueryData(bulkJobsQuery().queryKey)!
    expect(jobs.find((j) => j.id === 'j1')).toMatchObject({ state: 'done', changed: 10 })
    expect(jobs.map((j) => j.id).sort()).toEqual(['j1', 'j2'])
  })

  it("applies a task's events to its open detail and re-reads it when the attempt ends", async () => {
    const qc = new QueryClient()
    let reads = 0
    const t = task('7')
    const detail: TaskDetail = { task: t, logs: [], attempts: [], children: [], parent: null }
    const opts = taskQuery('c', t.id)
    // An observer makes the query active, as an open TaskDetail does; its function counts re-reads.
    qc.setQueryDefaults(opts.queryKey, { queryFn: async () => ((reads += 1), { ...detail, task: { ...t, state: 'succeeded' as const, attempts: 1 } }) })
    qc.setQueryData(opts.queryKey, detail)
    const stop = new QueryObserver(qc, { queryKey: opts.queryKey, staleTime: Infinity }).subscribe(() => undefined)

    applyPushesToCache(qc, [flow([{ kind: 'started', taskId: '7', type: 'echo', at: Date.UTC(2026, 0, 1), attempt: 1 }, { kind: 'log', taskId: '7', type: 'echo', at: Date.UTC(2026, 0, 1), attempt: 1, log: { level: 'info', message: 'hello', stream: 'stdout' } }, { kind: 'started', taskId: 'other', type: 'echo', at: 0 }])])
    const live = qc.getQueryData<TaskDetail>(opts.queryKey)!
    expect(live.task.state).toBe('running')
    expect(live.task.startedAt).toBe('2026-01-01T00:00:00.000Z')
    expect(live.logs).toMatchObject([{ taskId: '7', attempt: 1, message: 'hello', stream: 'stdout', level: 'info' }])
    expect(reads).toBe(0)

    applyPushesToCache(qc, [flow([{ kind: 'succeeded', taskId: '7', type: 'echo', at: Date.UTC(2026, 0, 1), durationMs: 3 }])])
    expect(qc.getQueryData<TaskDetail>(opts.queryKey)!.task.state).toBe('succeeded')
    await expect.poll(() => reads).toBe(1)
    expect(qc.getQueryData<TaskDetail>(opts.queryKey)!.task.attempts).toBe(1)
    stop()
  })
})

describe('task list head merge', () => {
  const page = (tasks: Task[], total = tasks.length): TasksPage => ({ tasks, total, totalCapped: false, more: tasks.length === FIRST_PAGE, ms: 1 })
  const data = (...pages: TasksPage[]): TasksData => ({ pages, pageParams: pages.map(() => null) })

  it('at the top with one page, the fresh page is the list', () => {
    const m = mergeHead(data(page([task('2'), task('1')])), page([task('3'), task('2', { state: 'running' })]), true)
    expect(taskRows(m.data).map((t) => `${t.id}:${t.state}`)).toEqual(['3:queued', '2:running'])
    expect(m.pendingNew).toBe(0)
  })

  it('scrolled down, new tasks are counted, not inserted, and loaded rows get their fresh state', () => {
    const loaded = Array.from({ length: FIRST_PAGE }, (_, i) => task(String(50 - i)))
    const older = Array.from({ length: 5 }, (_, i) => task(`x${i}`))
    const m = mergeHead(data(page(loaded), page(older)), page([task('52'), task('51'), task('50', { state: 'failed' })], 107), false)
    const rows = taskRows(m.data)
    expect(rows[0]).toMatchObject({ id: '50', state: 'failed' })
    expect(rows).toHaveLength(FIRST_PAGE + 5)
    expect(m.pendingNew).toBe(2)
    expect(m.data.pages[0]!.total).toBe(107)
  })
})

describe('hash routes', () => {
  it('round-trips a task link with its queue, and falls back to Flow on anything unknown', () => {
    const href = taskHref('conn-1', 'a b/c')
    expect(href).toBe('#/tasks/a%20b%2Fc?connection=conn-1')
    expect(parseRoute(href)).toEqual({ view: 'tasks', id: 'a b/c', connection: 'conn-1', filters: {} })
    expect(parseRoute('#/drones')).toEqual({ view: 'drones', id: null, connection: null, filters: {} })
    expect(parseRoute('')).toEqual({ view: 'flow', id: null, connection: null, filters: {} })
    expect(parseRoute('#/nope/1')).toEqual({ view: 'flow', id: null, connection: null, filters: {} })
    expect(formatRoute({ view: 'activity' })).toBe('#/activity')
  })

  it('takes the token out of a routed address and leaves the route as it was', () => {
    const addr = (href: string) => {
      let url = new URL(href)
      const store = new Map<string, string>()
      const win = {
        get location() {
          return url as unknown as Location
        },
        history: { state: null, replaceState: (_s: unknown, _t: string, to: string) => void (url = new URL(to, url)) } as unknown as History,
        sessionStorage: { setItem: (k: string, v: string) => void store.set(k, v), getItem: (k: string) => store.get(k) ?? null } as Storage,
      }
      return { token: takeToken(win), hash: url.hash }
    }
    expect(addr('http://h/#/tasks/T1?connection=C&token=secret')).toEqual({ token: 'secret', hash: '#/tasks/T1?connection=C' })
    expect(addr('http://h/#/drones?token=secret')).toEqual({ token: 'secret', hash: '#/drones' })
    expect(addr('http://h/#token=secret')).toEqual({ token: 'secret', hash: '' })
  })
})
