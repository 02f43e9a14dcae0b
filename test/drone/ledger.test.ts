import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DroneEvent, TaskEvent } from '../../src/core/events.ts'
import { Completer } from '../../src/drone/completer.ts'
import { EventSink } from '../../src/drone/event-sink.ts'
import { allowed, Ledger, MOVES, type Move, type Place } from '../../src/drone/ledger.ts'
import { LocalQueue } from '../../src/drone/local-queue.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { testQueue } from './setup.ts'

const LEASE_MS = 30_000
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/**
 * A ledger over real parts: an SQLite global queue, the drone's SQLite local queue and the completer
 * that sends outcomes to that queue. `aborted` records what the ledger asked worker processes to abort
 * (there are none here: the ledger's abort is a plain function of the worker set).
 */
async function setup(): Promise<{
  queue: Queue
  ledger: Ledger
  completer: Completer
  events: Array<TaskEvent>
  freed: string[]
  aborted: Array<{ type: string; ids: string[]; reason: string }>
  local: LocalQueue
}> {
  const q = await testQueue('sqlite', 'ledger')
  cleanups.push(q.cleanup)
  const emitter = new EventEmitter()
  const events: TaskEvent[] = []
  emitter.on('event', (e: DroneEvent) => {
    if ('taskId' in e) events.push(e)
  })
  const sink = new EventSink(emitter)
  const aborted: Array<{ type: string; ids: string[]; reason: string }> = []
  const freed: string[] = []
  const droneId = 'd-ledger'
  const errors: unknown[] = []
  // eslint-disable-next-line prefer-const
  let ledger: Ledger
  const channel = q.queue.droneChannel()
  const completer = new Completer({
    droneId,
    complete: channel.complete,
    insertLogs: channel.insertLogs,
    beforeSend: () => ledger.flush(),
    onAcknowledged: (batch, refused) => ledger.acknowledge(batch, refused),
    onError: (err) => errors.push(err),
  })
  ledger = new Ledger({
    events: sink,
    send: (c) => completer.add(c),
    abort: (type, ids, reason) => aborted.push({ type, ids, reason }),
    leaseMs: LEASE_MS,
    retry: { baseMs: 10, maxMs: 100 },
  })
  ledger.onFreed = (type) => freed.push(type)
  const local = LocalQueue.open({ path: join(q.dir, 'local.db') })
  sink.gate = local
  ledger.attach(local)
  cleanups.push(() => {
    expect(errors).toEqual([])
    local.close()
  })
  return { queue: q.queue, ledger, completer, events, freed, aborted, local }
}

async function claim(queue: Queue, ledger: Ledger, n: number): Promise<{ ids: string[]; sentAt: number }> {
  const ids = await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ type: 'a', payload: { i } })))
  const sentAt = Date.now()
  const claimed = await queue.droneChannel().claim({ droneId: 'd-ledger', droneName: 'ledger', wants: [{ type: 'a', limit: n }], leaseMs: LEASE_MS })
  expect(ledger.claim(claimed, sentAt)).toEqual(new Set(['a']))
  return { ids, sentAt }
}

describe('Ledger', () => {
  it('has one row per move, each from a real place', () => {
    const places: Place[] = ['none', 'buffered', 'dispatched', 'started', 'done']
    for (const [move, m] of Object.entries(MOVES)) {
      expect(m.from.length, move).toBeGreaterThan(0)
      for (const p of places) expect(allowed(move as Move, p)).toBe((m.from as readonly Place[]).includes(p))
    }
    // The outcome of a run only from a started run; nothing leaves `done` but the acknowledgement.
    expect(places.filter((p) => allowed('succeed', p))).toEqual(['started'])
    expect(Object.keys(MOVES).filter((m) => allowed(m as Move, 'done') && m !== 'claim')).toEqual(['acknowledge'])
  })

  it('carries a task from claim to acknowledgement: stored first, sent, then announced, with capacity freed', async () => {
    const { queue, ledger, completer, events, freed, local } = await setup()
    const { ids, sentAt } = await claim(queue, ledger, 2)
    const [t1, t2] = ids.map((id) => ledger.get(id)!)
    expect(ledger.holdings().map((h) => [h.id, h.state])).toEqual([[ids[0], 'buffered'], [ids[1], 'buffered']])
    expect(ledger.holdings()[0]!.leaseExpiresAt).toBe(sentAt + LEASE_MS)

    ledger.dispatch([{ task: t1!, workerId: 'a#1', pid: 111 }, { task: t2!, workerId: 'a#1', pid: 111 }])
    expect(ledger.start(t1!, 1_000, { workerId: 'a#1', pid: 111 })).toBe(true)
    expect(ledger.succeed(t1!, '"ok"', 1_250, { workerId: 'a#1', pid: 111 })).toBe(true)
    // Stored before anyone hears of it: the local queue's row says done, the event waits for the ack.
    expect(local.taskGet({ id: ids[0]! })!.state).toBe('done')
    expect(ledger.holdings().find((h) => h.id === ids[0])).toMatchObject({ state: 'finishing', pid: 111, startedAt: 1_000 })
    expect(events.filter((e) => e.kind === 'succeeded')).toEqual([])
    expect(freed).toEqual(['a'])

    await completer.idle()
    expect((await queue.get(ids[0]!))!.state).toBe('succeeded')
    expect(ledger.get(ids[0]!)).toBeUndefined()
    const ok = events.find((e) => e.kind === 'succeeded')!
    expect(ok).toMatchObject({ taskId: ids[0], durationMs: 250, workerId: 'a#1', pid: 111 })
    expect(events.filter((e) => e.taskId === ids[0]).map((e) => e.kind)).toEqual(['claimed', 'dispatched', 'started', 'succeeded'])
    expect(freed).toEqual(['a', 'a'])

    // The other one is handed back: queued again, its attempt given back.
    expect(ledger.handback(t2!)).toBe(true)
    await completer.idle()
    expect(await queue.get(ids[1]!)).toMatchObject({ state: 'queued', attempts: 0 })
    expect(ledger.size).toBe(0)
  })

  it("announces the claim with the task's runAt (dueAt) and a run with the worker's own run time (runMs) when it has one", async () => {
    const { queue, ledger, completer, events } = await setup()
    const { ids } = await claim(queue, ledger, 2)
    const [t1, t2] = ids.map((id) => ledger.get(id)!)
    ledger.dispatch([{ task: t1!, workerId: 'a#1', pid: 7 }, { task: t2!, workerId: 'a#1', pid: 7 }])
    ledger.start(t1!, 1_000, {})
    ledger.start(t2!, 1_000, {})
    // The epoch readings say 500 ms; the worker measured 12.5 ms of handler time: that is the run time.
    expect(ledger.succeed(t1!, '1', 1_500, {}, 12.5)).toBe(true)
    expect(ledger.fail(t2!, { message: 'x' }, true, { at: 1_500, runMs: 3.25 })).toBe(true)
    await completer.idle()
    // Events wait for the local queue's write of what they report; the completer's send wrote it.
    const runAt = new Date((await queue.get(ids[0]!))!.runAt).getTime()
    expect(events.find((e) => e.kind === 'claimed' && e.taskId === ids[0])!.dueAt).toBe(runAt)
    expect(events.find((e) => e.kind === 'succeeded')).toMatchObject({ taskId: ids[0], durationMs: 12.5 })
    expect(events.find((e) => e.kind === 'failed')).toMatchObject({ taskId: ids[1], durationMs: 3.25 })
  })

  it('refuses every move the table does not allow, and any move on a replaced claim', async () => {
    const { queue, ledger, completer, events } = await setup()
    const { ids } = await claim(queue, ledger, 1)
    const t = ledger.get(ids[0]!)!
    // buffered: not started, not finished, not released
    expect(ledger.start(t, 1, {})).toBe(false)
    expect(ledger.succeed(t, '1', 2, {})).toBe(false)
    expect(ledger.fail(t, { message: 'x' }, false, {})).toBe(false)
    expect(ledger.release(t)).toBe(false)
    ledger.dispatch([{ task: t, workerId: 'a#1', pid: 7 }])
    // dispatched: a run's outcome needs its start first; a lost process may fail it
    expect(ledger.succeed(t, '1', 2, {})).toBe(false)
    expect(ledger.ofRun(t.id, 'a#2', 7)).toBeUndefined()
    expect(ledger.ofRun(t.id, 'a#1', 8)).toBeUndefined()
    expect(ledger.ofRun(t.id, 'a#1', 7)).toBe(t)
    expect(ledger.fail(t, { message: 'lost' }, false, { pid: 7 }, 'lose')).toBe(true)
    // done: a second outcome, a late start, a drop are all stale
    expect(ledger.succeed(t, '1', 2, {})).toBe(false)
    expect(ledger.start(t, 1, {})).toBe(false)
    expect(ledger.handback(t)).toBe(false)
    ledger.cancelled([t.id])
    expect(ledger.get(t.id)!.state).toBe('done')
    await completer.idle()
    expect(await queue.get(t.id)).toMatchObject({ state: 'queued', error: { message: 'lost' } })
    expect(events.filter((e) => e.taskId === t.id).map((e) => e.kind)).toEqual(['claimed', 'dispatched', 'retried'])

  })

  it('moves nothing with the view of a replaced claim', async () => {
    const { queue, ledger, completer } = await setup()
    // Claimed again under a new lease (handed back, then claimed): the old view is another claim's.
    const { ids: more } = await claim(queue, ledger, 1)
    const h = ledger.get(more[0]!)!
    ledger.handback(h)
    await completer.idle()
    const again = await queue.droneChannel().claim({ droneId: 'd-ledger', droneName: 'ledger', wants: [{ type: 'a', limit: 1 }], leaseMs: LEASE_MS })
    expect(again.map((x) => x.id)).toEqual([h.id])
    ledger.claim(again, Date.now())
    const fresh = ledger.get(h.id)!
    expect(fresh).not.toBe(h)
    expect(fresh.leaseSeq).toBe(h.leaseSeq + 1)
    expect(ledger.ofLease(h.id, h.leaseSeq)).toBeUndefined()
    ledger.dispatch([{ task: h, workerId: 'a#1', pid: 7 }])
    expect(ledger.get(h.id)!.state).toBe('buffered')
  })

  it('drops cancelled and lost-lease tasks: aborted in their worker, forgotten, reported', async () => {
    const { queue, ledger, events, freed, aborted, local } = await setup()
    const { ids } = await claim(queue, ledger, 3)
    const [a, b, c] = ids.map((id) => ledger.get(id)!)
    ledger.dispatch([{ task: b!, workerId: 'a#1', pid: 9 }, { task: c!, workerId: 'a#1', pid: 9 }])
    ledger.start(c!, 5, {})
    ledger.cancelled([a!.id, b!.id])
    // Only a task a worker holds is aborted there.
    expect(aborted).toEqual([{ type: 'a', ids: [b!.id], reason: 'cancelled' }])
    ledger.extended([{ id: c!.id, leaseSeq: c!.leaseSeq }], [c!.id], Date.now())
    expect(aborted[1]).toEqual({ type: 'a', ids: [c!.id], reason: 'lease-lost' })
    expect(ledger.size).toBe(0)
    expect(ledger.leasesLost).toBe(1)
    // Events wait for the local queue's write of what they report.
    await new Promise<void>((resolve) => local.afterFlush(resolve))
    expect(events.filter((e) => e.kind === 'cancelled').map((e) => e.taskId).sort()).toEqual([a!.id, b!.id].sort())
    expect(events.filter((e) => e.kind === 'lease-lost').map((e) => e.taskId)).toEqual([c!.id])
    expect(freed).toEqual(['a', 'a'])
  })

  it('counts a crash loss of an unstarted task, per claim', async () => {
    const { queue, ledger } = await setup()
    const { ids } = await claim(queue, ledger, 1)
    const t = ledger.get(ids[0]!)!
    expect(ledger.unstartedLoss(t)).toBe(1)
    expect(ledger.unstartedLoss(t)).toBe(2)
    expect(ledger.unstartedLoss({ ...t })).toBe(0)
  })
})
