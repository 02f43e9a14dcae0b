// Pushes to the renderer are coalesced per 50 ms window. Time is driven with fake timers (no sleeps):
// the batcher's only clock is its setTimeout.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FlowDelta, PushMessage } from '../../src/api/contract.ts'
import { mergeFlowDeltas as mergeFlow } from '../../src/api/flow.ts'
import { PUSH_WINDOW_MS, PushBatcher } from '../../src/api/push-batcher.ts'

function summary(count: number, sum: number, max: number, p50: number, p95: number) {
  return { count, sum, max, p50, p95 }
}

function flow(droneId: string, at: number, succeeded: number, runMs = summary(succeeded, succeeded * 10, 10, 10, 10)): FlowDelta {
  return {
    droneId,
    at,
    windowMs: 1,
    types: {
      io: {
        claimed: succeeded,
        dispatched: succeeded,
        started: succeeded,
        succeeded,
        failed: 0,
        retried: 0,
        cancelled: 0,
        handedBack: 0,
        leaseLost: 0,
        runMs,
        waitMs: summary(0, 0, 0, 0, 0),
      },
    },
    recent: [{ kind: 'succeeded', taskId: `t${at}`, type: 'io', at }],
  }
}

describe('PushBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('coalesces 100 pushes arriving within 50 ms into at most 2 sends, losing no counts', () => {
    const sends: PushMessage[][] = []
    const batcher = new PushBatcher({ send: (m) => sends.push(m) })
    for (let i = 0; i < 100; i++) {
      batcher.push({ channel: 'flow', delta: flow('d1', 1_000 + i, 1) })
      if (i % 10 === 0) batcher.push({ channel: 'drones', drones: [] })
      vi.advanceTimersByTime(0.5)
    }
    vi.advanceTimersByTime(PUSH_WINDOW_MS)
    expect(sends.length).toBeGreaterThanOrEqual(1)
    expect(sends.length).toBeLessThanOrEqual(2)
    const flows = sends.flat().filter((m): m is Extract<PushMessage, { channel: 'flow' }> => m.channel === 'flow')
    const succeeded = flows.reduce((n, m) => n + (m.delta.types.io?.succeeded ?? 0), 0)
    expect(succeeded).toBe(100)
    // snapshots: only the newest drones view per send
    for (const send of sends) expect(send.filter((m) => m.channel === 'drones').length).toBeLessThanOrEqual(1)
    // the merged delta keeps the newest 50 events
    expect(flows.every((m) => m.delta.recent.length <= 50)).toBe(true)
    const last = flows.at(-1)?.delta.recent.at(-1)
    expect(last && 'taskId' in last ? last.taskId : undefined).toBe('t1099')
  })

  it('sends at most once per window under a steady stream (≤ 20 per second)', () => {
    const sends: PushMessage[][] = []
    const batcher = new PushBatcher({ send: (m) => sends.push(m) })
    for (let ms = 0; ms < 1_000; ms++) {
      batcher.push({ channel: 'notice', level: 'info', message: `n${ms}` })
      vi.advanceTimersByTime(1)
    }
    vi.advanceTimersByTime(PUSH_WINDOW_MS)
    expect(sends.length).toBeLessThanOrEqual(21)
    expect(sends.length).toBeGreaterThanOrEqual(19)
  })

  it('keeps flows of different drones apart, and sends nothing after stop()', () => {
    const sends: PushMessage[][] = []
    const batcher = new PushBatcher({ send: (m) => sends.push(m) })
    batcher.push({ channel: 'flow', delta: flow('a', 1, 2) })
    batcher.push({ channel: 'flow', delta: flow('b', 1, 3) })
    vi.advanceTimersByTime(PUSH_WINDOW_MS)
    expect(sends).toHaveLength(1)
    expect(sends[0]!.map((m) => (m.channel === 'flow' ? m.delta.droneId : m.channel)).sort()).toEqual(['a', 'b'])
    batcher.push({ channel: 'flow', delta: flow('a', 2, 1) })
    batcher.stop()
    vi.advanceTimersByTime(PUSH_WINDOW_MS * 4)
    expect(sends).toHaveLength(1)
  })

  it('merges latency summaries exactly where it can (count, sum, max)', () => {
    const merged = mergeFlow(flow('d', 100, 2, summary(2, 30, 20, 15, 20)), flow('d', 150, 6, summary(6, 60, 40, 5, 30)))
    const io = merged.types.io!
    expect(io.succeeded).toBe(8)
    expect(io.runMs.count).toBe(8)
    expect(io.runMs.sum).toBe(90)
    expect(io.runMs.max).toBe(40)
    expect(io.runMs.p50).toBeCloseTo((15 * 2 + 5 * 6) / 8)
    expect(merged.at).toBe(150)
    expect(merged.windowMs).toBe(51)
  })

  it('keeps every debug event, in order, after the snapshots of its window', () => {
    const sent: PushMessage[][] = []
    const b = new PushBatcher({ send: (m) => sent.push(m) })
    const paused: PushMessage = { channel: 'debug', sessionId: 's', event: { method: 'Debugger.paused', params: { reason: 'other', hitBreakpoints: [], callFrames: [] } } }
    const resumed: PushMessage = { channel: 'debug', sessionId: 's', event: { method: 'Debugger.resumed', params: {} } }
    b.push(paused)
    b.push({ channel: 'drones', drones: [] })
    b.push(resumed)
    b.push(paused)
    vi.advanceTimersByTime(PUSH_WINDOW_MS)
    expect(sent).toEqual([[{ channel: 'drones', drones: [] }, paused, resumed, paused]])
    b.push(resumed)
    vi.advanceTimersByTime(PUSH_WINDOW_MS)
    expect(sent[1]).toEqual([resumed])
  })
})

describe('PushBatcher: activity lines and bulk progress', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('passes every activity line in order and only the newest progress of each bulk job', () => {
    const sent: PushMessage[][] = []
    const b = new PushBatcher({ send: (m) => sent.push(m) })
    const entry = (id: number) => ({ id, at: new Date(0).toISOString(), who: 'ipc', action: 'tasks.retry', target: `id=${id}`, outcome: 'ok' })
    const job = (id: string, matched: number) => ({ id, connectionId: 'c', verb: 'retry' as const, filter: {}, expected: 1000, matched, changed: matched, state: 'running' as const, startedAt: new Date(0).toISOString() })
    b.push({ channel: 'activity', entry: entry(1) })
    for (let m = 0; m <= 1000; m += 100) b.push({ channel: 'bulk', job: job('a', m) })
    b.push({ channel: 'bulk', job: job('b', 5) })
    b.push({ channel: 'activity', entry: entry(2) })
    vi.advanceTimersByTime(PUSH_WINDOW_MS)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.map((m) => (m.channel === 'activity' ? `activity ${m.entry.id}` : m.channel === 'bulk' ? `bulk ${m.job.id} ${m.job.matched}` : m.channel))).toEqual([
      'activity 1',
      'activity 2',
      'bulk a 1000',
      'bulk b 5',
    ])
    b.stop()
  })
  it('passes only the newest state of each profile', () => {
    const sent: PushMessage[][] = []
    const b = new PushBatcher({ send: (m) => sent.push(m) })
    const view = (id: string, covered: number, state: 'running' | 'ready') => ({
      id, kind: 'cpu' as const, runId: 'r', state, droneId: 'd', droneName: 'd', type: 'crunch', workerId: `crunch#${id}`, pid: 1,
      requested: 20, covered, taskIds: [], samples: 0, bytes: 0, startedAt: new Date(0).toISOString(), endedAt: null, fileName: 'f.cpuprofile',
    })
    for (let n = 0; n <= 20; n++) b.push({ channel: 'profiles', profile: view('1', n, 'running') })
    b.push({ channel: 'profiles', profile: view('1', 20, 'ready') })
    b.push({ channel: 'profiles', profile: view('2', 3, 'running') })
    vi.advanceTimersByTime(PUSH_WINDOW_MS)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.map((m) => (m.channel === 'profiles' ? `${m.profile.id} ${m.profile.covered} ${m.profile.state}` : m.channel))).toEqual(['1 20 ready', '2 3 running'])
    b.stop()
  })
})
