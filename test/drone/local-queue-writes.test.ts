import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LocalQueue } from '../../src/drone/local-queue.ts'
import { tempDir } from '../helpers.ts'
import { FIXTURES } from './setup.ts'

// The local queue writes once per turn of the event loop (docs/performance.md): these check what that
// costs in statements, and that a crash between two writes loses nothing a restart relies on.
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
  it('writes a turn of changes in one transaction, one statement per task', async () => {
    const lq = LocalQueue.open({ path: dbPath() })
    cleanups.push(() => lq.close())
    lq.taskInsertMany({ tasks: ['t1', 't2', 't3'].map(claimed) })
    lq.taskUpdateMany({ updates: ['t1', 't2', 't3'].map((id) => ({ id, to: 'dispatched' as const, workerId: 'a#1', pid: 1 })) })
    lq.taskUpdateMany({ updates: [{ id: 't1', to: 'started', at: 5 }] })
    expect(lq.writes.transactions).toBe(0)
    expect(lq.pending).toBe(true)
    await turn()
    expect(lq.writes).toEqual({ transactions: 1, inserts: 3, updates: 0, deletes: 0 })
    // started and finished in one turn: one UPDATE; acknowledged: one DELETE
    const completion = { id: 't2', leaseSeq: 1, outcome: { kind: 'succeeded' as const, resultJson: '1' }, workerPid: 1, startedAt: new Date(6) }
    lq.taskUpdateMany({ updates: [{ id: 't2', to: 'started', at: 6 }, { id: 't2', to: 'done', completion }] })
    await turn()
    expect(lq.writes).toEqual({ transactions: 2, inserts: 3, updates: 1, deletes: 0 })
    lq.taskDeleteMany({ refs: [{ id: 't2', leaseSeq: 1 }] })
    lq.flush()
    expect(lq.writes).toEqual({ transactions: 3, inserts: 3, updates: 1, deletes: 1 })
    expect(lq.pending).toBe(false)
  })

  it('runs afterFlush callbacks once the pending changes are written', async () => {
    const lq = LocalQueue.open({ path: dbPath() })
    cleanups.push(() => lq.close())
    const seen: number[] = []
    lq.afterFlush(() => seen.push(lq.writes.transactions)) // nothing pending: at once
    lq.taskInsertMany({ tasks: [claimed('t1')] })
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
    // a: started before the first write; b: started, written at the second; c, d: unstarted (their
    // rows may say buffered or dispatched: a restart hands both back); e: claimed after the last write.
    expect(states.a).toBe('started')
    expect(states.b).toBe('started')
    expect(lq.taskGet({ id: 'b' })!.startedAt).toBe(2000)
    expect(['buffered', 'dispatched']).toContain(states.c)
    expect(['buffered', 'dispatched']).toContain(states.d)
    expect(states.e).toBeUndefined()
  })
})
