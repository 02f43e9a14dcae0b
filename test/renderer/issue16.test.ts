/**
 * The renderer's pure parts of issue 16: labelled, never-negative durations with one rounding; the
 * chart span that fits the data; bulk enqueue's template and NDJSON parsing (the bad line named), and
 * its check-everything-then-send batching; a drone registry row read for "served by other drones".
 */
import { describe, expect, it } from 'vitest'
import { BULK_BATCH, ndjsonTasks, sendBulk, templateTasks, type BulkProgress } from '../../src/renderer/src/lib/bulk.ts'
import { servedTypes } from '../../src/renderer/src/lib/drone-record.ts'
import { CHART_SPANS, FlowSeries, MIN_CHART_S, chartSeconds } from '../../src/renderer/src/lib/flow-series.ts'
import { fmtDuration, spanMs } from '../../src/renderer/src/lib/format.ts'

describe('durations', () => {
  it('are labelled, rounded one way and never negative', () => {
    expect(fmtDuration('run', -0.46)).toBe('run 0.00 ms')
    expect(fmtDuration('run', 0.456)).toBe('run 0.46 ms')
    expect(fmtDuration('wait', 9.4)).toBe('wait 9 ms')
    expect(fmtDuration('total', 1500)).toBe('total 1.5 s')
    expect(fmtDuration('run', undefined)).toBe('run –')
    expect(spanMs('2026-01-01T00:00:01.000Z', '2026-01-01T00:00:00.990Z')).toBe(0)
    expect(spanMs('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.250Z')).toBe(250)
    expect(spanMs(null, '2026-01-01T00:00:00.250Z')).toBeNull()
  })
})

describe('chart span', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0)
  const nowS = now / 1000
  it('starts at the first event when that is more recent than the chosen span, never below a minute', () => {
    expect(CHART_SPANS).toEqual([300, 900, 3600])
    expect(chartSeconds(900, null, now)).toBe(MIN_CHART_S)
    expect(chartSeconds(900, nowS - 10, now)).toBe(MIN_CHART_S)
    expect(chartSeconds(900, nowS - 200, now)).toBe(200)
    expect(chartSeconds(300, nowS - 2000, now)).toBe(300)
    expect(chartSeconds(3600, nowS - 2000, now)).toBe(2000)
  })
  it('remembers the first delta a series got', () => {
    const s = new FlowSeries(3600)
    expect(s.firstS).toBeNull()
    const delta = { droneId: 'd', at: now - 5000, windowMs: 100, types: {}, recent: [] }
    s.add(delta, (t) => t, now)
    s.add({ ...delta, at: now }, (t) => t, now)
    expect(s.firstS).toBe(nowS - 5)
  })
})

describe('bulk enqueue', () => {
  it('expands a payload template for every i', () => {
    const r = templateTasks('echo', '{"n": {{i}}, "label": "task {{ i }}"}', 3)
    expect(r).toEqual({
      ok: true,
      tasks: [
        { type: 'echo', payload: { n: 1, label: 'task 1' } },
        { type: 'echo', payload: { n: 2, label: 'task 2' } },
        { type: 'echo', payload: { n: 3, label: 'task 3' } },
      ],
    })
    expect(templateTasks('echo', '{"n": {{i}', 2)).toMatchObject({ ok: false, error: expect.stringMatching(/^payload template \(with i = 1\)/) })
    expect(templateTasks('echo', '{}', 0)).toMatchObject({ ok: false, error: expect.stringMatching(/^count/) })
  })

  it('reads NDJSON in the enqueue --file format, naming the first bad line', () => {
    const ok = ndjsonTasks('{"type":"a","payload":{"x":1}}\n\n{"type":"b","payload":2,"priority":5}\n')
    expect(ok).toEqual({
      ok: true,
      tasks: [
        { type: 'a', payload: { x: 1 }, options: {} },
        { type: 'b', payload: 2, options: { priority: 5 } },
      ],
      lines: [1, 3],
    })
    expect(ndjsonTasks('{"type":"a"}\n{"type": \n')).toMatchObject({ ok: false, error: expect.stringMatching(/^line 2: .*nothing was enqueued/) })
    expect(ndjsonTasks('{"type":"a"}\n[1]\n')).toMatchObject({ ok: false, error: expect.stringMatching(/^line 2: expected a JSON object/) })
    expect(ndjsonTasks('{"type":"a","colour":1}')).toMatchObject({ ok: false, error: expect.stringMatching(/^line 1: unknown key "colour"/) })
    expect(ndjsonTasks('\n\n')).toMatchObject({ ok: false })
  })

  it('checks every batch before sending the first, then sends in batches with progress', async () => {
    const tasks = Array.from({ length: BULK_BATCH * 2 + 1 }, (_, i) => ({ type: 't', payload: i }))
    const calls: Array<{ n: number; dryRun: boolean; firstLine?: number }> = []
    const progress: BulkProgress[] = []
    const sent = await sendBulk(
      { tasks, lines: tasks.map((_, i) => i + 1) },
      async (p) => {
        calls.push({ n: p.tasks.length, dryRun: p.dryRun, ...(p.lines ? { firstLine: p.lines[0] } : {}) })
        return { count: p.dryRun ? p.tasks.length : p.tasks.length, ids: [] }
      },
      (p) => progress.push(p),
    )
    expect(sent).toBe(tasks.length)
    expect(calls.map((c) => c.dryRun)).toEqual([true, true, true, false, false, false])
    expect(calls.map((c) => c.n)).toEqual([BULK_BATCH, BULK_BATCH, 1, BULK_BATCH, BULK_BATCH, 1])
    expect(calls[2]!.firstLine).toBe(BULK_BATCH * 2 + 1)
    expect(progress.at(-1)).toEqual({ phase: 'done', done: tasks.length, total: tasks.length })

    // A batch refused by the check: nothing is sent for real.
    const real: number[] = []
    await expect(
      sendBulk(
        { tasks },
        async (p) => {
          if (p.dryRun && p.tasks[0]!.payload === BULK_BATCH) throw new Error('line 501: bad')
          if (!p.dryRun) real.push(p.tasks.length)
          return { count: p.tasks.length, ids: [] }
        },
        () => undefined,
      ),
    ).rejects.toThrow('line 501')
    expect(real).toEqual([])

    // The database going away after the first batch: the error says how many were stored.
    let batch = 0
    await expect(
      sendBulk(
        { tasks },
        async (p) => {
          if (!p.dryRun && ++batch === 2) throw Object.assign(new Error('cannot connect to postgres://…: the connection was refused'), { code: 'connection' })
          return { count: p.tasks.length, ids: [] }
        },
        () => undefined,
      ),
    ).rejects.toMatchObject({ code: 'connection', message: `${BULK_BATCH} of ${tasks.length.toLocaleString('en')} tasks were enqueued, then: cannot connect to postgres://…: the connection was refused` })
  })
})

describe('drone registry rows', () => {
  it('say which types live drones serve, leaving out stale and stopped ones', () => {
    const now = Date.UTC(2026, 0, 1)
    const row = (name: string, agoMs: number, state: string, types: string[]) => ({
      id: name,
      name,
      host: 'h',
      pid: 1,
      startedAt: new Date(now - 60_000).toISOString(),
      lastSeen: new Date(now - agoMs).toISOString(),
      info: { state, types: types.map((type) => ({ type, capacity: 1 })) },
    })
    const served = servedTypes([row('a', 1000, 'running', ['echo', 'cpu']), row('b', 2000, 'draining', ['echo']), row('old', 120_000, 'running', ['io']), row('gone', 100, 'stopped', ['io'])], now)
    expect(Object.fromEntries(served)).toEqual({ echo: ['a', 'b'], cpu: ['a'] })
  })
})
