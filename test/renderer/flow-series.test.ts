import { describe, expect, it } from 'vitest'
import type { FlowDelta } from '../../src/api/contract.ts'
import { FlowSeries } from '../../src/renderer/src/lib/flow-series.ts'

const stats = (count: number, p50: number, p95: number) => ({ count, sum: count * p50, max: p95, p50, p95 })

function delta(at: number, types: Record<string, Partial<Record<'claimed' | 'started' | 'succeeded' | 'failed', number>> & { run?: [number, number, number] }>, droneId = 'd1'): FlowDelta {
  const out: FlowDelta['types'] = {}
  for (const [type, t] of Object.entries(types)) {
    out[type] = {
      claimed: t.claimed ?? 0,
      dispatched: 0,
      started: t.started ?? 0,
      succeeded: t.succeeded ?? 0,
      failed: t.failed ?? 0,
      retried: 0,
      cancelled: 0,
      handedBack: 0,
      leaseLost: 0,
      runMs: t.run ? stats(...t.run) : stats(0, 0, 0),
      waitMs: stats(0, 0, 0),
    }
  }
  return { droneId, at, windowMs: 100, types: out, recent: [] }
}

describe('FlowSeries', () => {
  const base = 1_700_000_000_000

  it('sums deltas into 1-second buckets and gives rates over whole past seconds', () => {
    const s = new FlowSeries(900)
    for (let i = 0; i < 10; i++) s.add(delta(base + i * 100, { a: { succeeded: 2 } }), (t) => t, base)
    s.add(delta(base + 1000, { a: { succeeded: 5, failed: 1 } }), (t) => t, base + 1000)
    // At base+2000 the seconds base/1000 (20) and base/1000+1 (5) are complete.
    expect(s.rate('succeeded', 2, base + 2000)).toBe((20 + 5) / 2)
    expect(s.rate('failed', 2, base + 2000)).toBe(0.5)
    // The second still filling is not counted.
    expect(s.rate('succeeded', 1, base + 1500)).toBe(20)
    expect(s.total('succeeded')).toBe(25)
    expect(s.version).toBe(11)
  })

  it('keeps keys apart and sums only the keys asked for', () => {
    const s = new FlowSeries(60)
    s.add(delta(base, { a: { claimed: 3 }, b: { claimed: 4 } }), (t) => t, base)
    expect(s.keys()).toEqual(['a', 'b'])
    expect(s.total('claimed', ['a'])).toBe(3)
    expect(s.total('claimed')).toBe(7)
    const byDrone = new FlowSeries(60)
    byDrone.add(delta(base, { a: { claimed: 3 }, b: { claimed: 4 } }, 'x'), () => 'x', base)
    expect(byDrone.keys()).toEqual(['x'])
    expect(byDrone.total('claimed', ['x'])).toBe(7)
  })

  it('forgets seconds older than the horizon (the ring reuses the slot)', () => {
    const s = new FlowSeries(10)
    s.add(delta(base, { a: { succeeded: 7 } }), (t) => t, base)
    s.add(delta(base + 10_000, { a: { succeeded: 1 } }), (t) => t, base + 10_000)
    const [xs, col] = s.columns(['a'], 10, (b) => b.counts.succeeded, base + 11_000)
    expect(xs).toHaveLength(10)
    expect(xs[xs.length - 1]).toBe(Math.floor(base / 1000) + 10)
    expect(col![col!.length - 1]).toBe(1)
    expect(col!.reduce((n: number, v) => n + (v ?? 0), 0)).toBe(1)
    // A late delta for a second the ring already reused is dropped, not mixed into the newer second.
    s.add(delta(base + 500, { a: { succeeded: 100 } }), (t) => t, base + 11_000)
    expect(s.columns(['a'], 10, (b) => b.counts.succeeded, base + 11_000)[1]![9]).toBe(1)
  })

  it('merges latency: count-weighted p50, max of p95, null where nothing finished', () => {
    const s = new FlowSeries(60)
    s.add(delta(base, { a: { succeeded: 1, run: [1, 10, 10] } }), (t) => t, base)
    s.add(delta(base + 100, { a: { succeeded: 3, run: [3, 30, 50] } }), (t) => t, base)
    const [, p50] = s.columns(['a'], 2, (b) => b.runP50, base + 1000)
    const [, p95] = s.columns(['a'], 2, (b) => b.runP95, base + 1000)
    expect(p50).toEqual([null, 25])
    expect(p95).toEqual([null, 50])
  })

  it('uses the receiver clock when a drone clock is far off', () => {
    const s = new FlowSeries(60)
    s.add(delta(base - 3_600_000, { a: { succeeded: 4 } }), (t) => t, base)
    expect(s.rate('succeeded', 1, base + 1000)).toBe(4)
  })
})
