/**
 * The flow aggregator (counts, latency percentiles, the bounded recent sample) and the per-socket
 * push batcher (coalescing; merging, not queuing, for a slow socket).
 */
import { describe, expect, it } from 'vitest'
import type { DroneEvent, TaskEvent } from '../../src/core/events.ts'
import type { FlowDelta, PushMessage } from '../../src/api/contract.ts'
import { FlowAggregator, mergeFlowDeltas } from '../../src/api/flow.ts'
import { PushBatcher } from '../../src/api/push-batcher.ts'
import { HIGH_WATER_BYTES } from '../../src/console/server.ts'
import { until } from '../helpers.ts'

function ev(kind: TaskEvent['kind'], taskId: string, at: number, extra: Partial<TaskEvent> = {}): DroneEvent {
  return { kind, taskId, type: 'io', at, ...extra }
}

describe('FlowAggregator', () => {
  it('counts per type and kind, and measures wait and run times', () => {
    const flow = new FlowAggregator('d1')
    for (let i = 0; i < 100; i++) {
      flow.add(ev('claimed', `t${i}`, 1000))
      flow.add(ev('started', `t${i}`, 1000 + i)) // waits 0..99 ms
      flow.add(ev(i % 10 === 0 ? 'failed' : 'succeeded', `t${i}`, 2000, { durationMs: i }))
    }
    flow.add({ kind: 'worker-ready', type: 'io', workerId: 'io#1', at: 3000 })
    const d = flow.take(5000)!
    const io = d.types.io!
    expect(io).toMatchObject({ claimed: 100, started: 100, succeeded: 90, failed: 10, retried: 0 })
    expect(io.waitMs.count).toBe(100)
    expect(io.waitMs.max).toBe(99)
    expect(io.waitMs.p50).toBe(50)
    expect(io.waitMs.p95).toBe(95)
    expect(io.runMs).toMatchObject({ count: 100, sum: 4950, max: 99, p50: 50, p95: 95 })
    expect(d.recent).toHaveLength(50)
    expect(d.recent[49]).toMatchObject({ kind: 'worker-ready' })
    // The next window starts empty: one empty delta (charts fall to zero), then nothing.
    const empty = flow.take(5100)!
    expect(empty.types).toEqual({})
    expect(empty.windowMs).toBe(100)
    expect(flow.take(5200)).toBeNull()
  })

  it('keeps percentiles from a bounded sample however many tasks a window holds', () => {
    const flow = new FlowAggregator('d1')
    for (let i = 0; i < 100_000; i++) flow.add(ev('succeeded', `t${i}`, 0, { durationMs: i % 1000 }))
    const run = flow.take()!.types.io!.runMs
    expect(run.count).toBe(100_000)
    expect(run.max).toBe(999)
    // A uniform sample of 128: the median of 0..999 is near 500.
    expect(run.p50).toBeGreaterThan(300)
    expect(run.p50).toBeLessThan(700)
  })

  it('merges two deltas of one drone by summing', () => {
    const a = new FlowAggregator('d1')
    a.add(ev('succeeded', 'a', 0, { durationMs: 10 }))
    const b = new FlowAggregator('d1')
    b.add(ev('succeeded', 'b', 0, { durationMs: 30 }))
    b.add(ev('claimed', 'c', 0))
    const m = mergeFlowDeltas(a.take(100)!, b.take(200)!)
    expect(m.types.io).toMatchObject({ succeeded: 2, claimed: 1 })
    expect(m.types.io!.runMs).toMatchObject({ count: 2, sum: 40, max: 30 })
    expect(m.recent).toHaveLength(3)
  })
})

class SlowSink {
  bufferedAmount = 0
  readonly frames: string[] = []
  send(frame: string): void {
    this.frames.push(frame)
  }
}

function delta(droneId: string, succeeded: number): PushMessage {
  const lat = { count: 0, sum: 0, max: 0, p50: 0, p95: 0 }
  const d: FlowDelta = {
    droneId,
    at: Date.now(),
    windowMs: 100,
    types: { io: { claimed: 0, dispatched: 0, started: 0, succeeded, failed: 0, retried: 0, cancelled: 0, handedBack: 0, leaseLost: 0, runMs: lat, waitMs: lat } },
    recent: [],
  }
  return { channel: 'flow', delta: d }
}

describe('PushBatcher', () => {
  it('coalesces within a batch: newest snapshots, merged deltas, every notice', async () => {
    const sink = new SlowSink()
    const b = sinkBatcher(sink)
    b.push({ channel: 'drones', drones: [] })
    b.push({ channel: 'drones', drones: [{ id: 'newest' } as never] })
    b.push(delta('d1', 1))
    b.push(delta('d1', 2))
    b.push(delta('d2', 5))
    b.push({ channel: 'notice', level: 'info', message: 'one' })
    await until(() => sink.frames.length > 0, 2_000, 'a flush')
    const pushes = sink.frames.map((f) => (JSON.parse(f) as { push: PushMessage }).push)
    expect(pushes.filter((p) => p.channel === 'drones')).toEqual([{ channel: 'drones', drones: [{ id: 'newest' }] }])
    const flows = pushes.filter((p): p is Extract<PushMessage, { channel: 'flow' }> => p.channel === 'flow')
    expect(flows.map((f) => [f.delta.droneId, f.delta.types.io!.succeeded])).toEqual([
      ['d1', 3],
      ['d2', 5],
    ])
    expect(pushes.filter((p) => p.channel === 'notice')).toHaveLength(1)
    b.stop()
  })

  it('holds and merges for a slow socket instead of queuing, then sends once it drains', async () => {
    const sink = new SlowSink()
    sink.bufferedAmount = HIGH_WATER_BYTES + 1
    const b = sinkBatcher(sink)
    for (let i = 0; i < 1000; i++) b.push(delta('d1', 1))
    await until(() => b.deferred >= 2, 2_000, 'two deferred flushes')
    expect(sink.frames).toHaveLength(0)
    expect(b.merged).toBe(999)
    sink.bufferedAmount = 0
    await until(() => sink.frames.length > 0, 2_000, 'the held delta')
    expect(sink.frames).toHaveLength(1)
    expect((JSON.parse(sink.frames[0]!) as { push: Extract<PushMessage, { channel: 'flow' }> }).push.delta.types.io!.succeeded).toBe(1000)
    b.stop()
  })
})

/** The batcher as the console server wires it to a WebSocket: JSON frames, held while the buffer is high. */
function sinkBatcher(sink: SlowSink): PushBatcher {
  return new PushBatcher({
    send: (messages) => {
      for (const m of messages) sink.send(JSON.stringify({ push: m }))
    },
    held: () => sink.bufferedAmount > HIGH_WATER_BYTES,
  })
}
