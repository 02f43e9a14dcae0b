import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LocalQueue } from '../../src/drone/local-queue.ts'
import { tempDir } from '../helpers.ts'
import { FIXTURES } from './setup.ts'

// The local queue writes once per turn of the event loop, and a task not started only once it has been
// held a while (docs/performance.md): these check what that costs in statements, and that a crash
// between two writes loses nothing a restart relies on.
const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})
function dbPath(): string {
  const t = tempDir('swarmage-lqw-')
  cleanups.push(t.cleanup)
  return join(t.dir, 'drone.db')
}
const claimed = (id: string) => ({ id, type: 'a', payloadJson: '{"x":1}', attempt: 1, maxAttempts: 3, parentId: null, leaseSeq: 1 })
const turn = () => new Promise((r) => setImmediate(r))

describe('LocalQueue writes', () => {
  it('writes a turn of changes in one transaction, one statement per task, a task first when it starts', async () => {
    const lq = LocalQueue.open({ path: dbPath() })
    cleanups.push(() => lq.close())
    lq.taskInsertMany({ tasks: ['t1', 't2', 't3'].map(claimed) })
    lq.taskUpdateMany({ updates: ['t1', 't2', 't3'].map((id) => ({ id, to: 'dispatched' as const, workerId: 'a#1', pid: 1 })) })
    // claimed and dispatched: nothing to write yet (a restart would only hand them back)
    expect(lq.pending).toBe(false)
    lq.taskUpdateMany({ updates: [{ id: 't1', to: 'started', at: 5 }] })
    expect(lq.writes.transactions).toBe(0)
    expect(lq.pending).toBe(true)
    await turn()
    expect(lq.writes).toEqual({ transactions: 1, inserts: 1, updates: 0, deletes: 0 })
    // started and finished in one turn: one INSERT of its finished state; acknowledged: one DELETE
    const completion = { id: 't2', leaseSeq: 1, outcome: { kind: 'succeeded' as const, resultJson: '1' }, workerPid: 1, startedAt: new Date(6) }
    lq.taskUpdateMany({ updates: [{ id: 't2', to: 'started', at: 6 }, { id: 't2', to: 'done', completion }] })
    await turn()
    expect(lq.writes).toEqual({ transactions: 2, inserts: 2, updates: 0, deletes: 0 })
    lq.taskDeleteMany({ refs: [{ id: 't2', leaseSeq: 1 }, { id: 't1', leaseSeq: 1 }] })
    lq.flush()
    expect(lq.writes).toEqual({ transactions: 3, inserts: 2, updates: 0, deletes: 2 })
    expect(lq.pending).toBe(false)
    // handed back before it was ever written: no statement at all
    lq.taskDeleteMany({ refs: [{ id: 't3', leaseSeq: 1 }] })
    lq.flush()
    expect(lq.writes.transactions).toBe(3)
  })

  it('writes a task held unstarted once it is unstartedWriteMs old, then keeps buffered/dispatched moves lazy', async () => {
    const path = dbPath()
    const lq = LocalQueue.open({ path, unstartedWriteMs: 30 })
    lq.taskInsertMany({ tasks: ['t1', 't2'].map(claimed) })
    lq.taskUpdateMany({ updates: [{ id: 't1', to: 'dispatched', workerId: 'a#1', pid: 1 }] })
    await vi.waitFor(() => expect(lq.writes).toEqual({ transactions: 1, inserts: 2, updates: 0, deletes: 0 }), { timeout: 2_000 })
    // back to buffered: unstarted either way, so not rewritten until close()
    lq.taskUpdateMany({ updates: [{ id: 't1', to: 'buffered' }] })
    await turn()
    expect(lq.writes.updates).toBe(0)
    lq.close()
    const again = LocalQueue.open({ path })
    cleanups.push(() => again.close())
    expect(again.taskList().map((t) => [t.id, t.state])).toEqual([['t1', 'buffered'], ['t2', 'buffered']])
  })

  it('runs afterFlush callbacks once the pending changes are written', async () => {
    const lq = LocalQueue.open({ path: dbPath() })
    cleanups.push(() => lq.close())
    const seen: number[] = []
    lq.taskInsertMany({ tasks: [claimed('t1')] })
    lq.afterFlush(() => seen.push(lq.writes.transactions)) // nothing pending (unstarted, not written yet): at once
    lq.taskUpdateMany({ updates: [{ id: 't1', to: 'started', at: 1 }] })
    lq.afterFlush(() => seen.push(lq.writes.transactions))
    expect(seen).toEqual([0])
    await turn()
    expect(seen).toEqual([0, 1])
  })

  it('after a crash between writes, a restart sees started tasks as started and nothing unstarted as started', async () => {
    const path = dbPath()
    const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'lq-crash.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const signal = await new Promise((r) => child.on('exit', (_code, sig) => r(sig)))
    expect(signal).toBe('SIGKILL')
    expect(out).toContain('written')
    const lq = LocalQueue.open({ path })
    cleanups.push(() => lq.close())
    expect(lq.integrityCheck()).toBe('ok')
    const states = Object.fromEntries(lq.taskList().map((t) => [t.id, t.state]))
    // a: started before the first write; b: started, written at the second; c, d: unstarted and held
    // less than unstartedWriteMs (never written: their lease rescues them); e: claimed after the last write.
    expect(states.a).toBe('started')
    expect(states.b).toBe('started')
    expect(lq.taskGet({ id: 'b' })!.startedAt).toBe(2000)
    expect(states.c).toBeUndefined()
    expect(states.d).toBeUndefined()
    expect(states.e).toBeUndefined()
    expect(lq.size).toBe(2)
  })
})
