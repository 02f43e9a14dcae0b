import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqlite } from '../../src/core/sqlite-lib.ts'
import { LocalQueue, LocalQueueLockedError } from '../../src/drone/local-queue.ts'
import { tempDir } from '../helpers.ts'
import { FIXTURES } from './setup.ts'

const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})
function dbPath(): string {
  const t = tempDir('swarmage-lq-')
  cleanups.push(t.cleanup)
  return join(t.dir, 'sub', 'drone.db')
}
const claimed = (id: string, leaseSeq = 1) => ({ id, type: 'a', payloadJson: '{"x":1}', attempt: 1, maxAttempts: 3, parentId: null, leaseSeq })

describe('LocalQueue', () => {
  it('keeps every state and the outcome across a reopen', () => {
    const path = dbPath()
    const lq = LocalQueue.open({ path })
    lq.taskInsertMany({ tasks: ['t1', 't2', 't3', 't4'].map((id) => claimed(id)) })
    lq.taskUpdateMany({ updates: [{ id: 't2', to: 'dispatched', workerId: 'a#1', pid: 42 }, { id: 't3', to: 'dispatched', workerId: 'a#1', pid: 42 }] })
    lq.taskUpdateMany({ updates: [{ id: 't3', to: 'started', at: 1000 }] })
    const startedAt = new Date('2026-01-01T00:00:00Z')
    lq.taskUpdateMany({ updates: [{ id: 't4', to: 'done', completion: { id: 't4', leaseSeq: 1, outcome: { kind: 'succeeded', resultJson: '7' }, workerPid: 42, startedAt } }] })
    expect(lq.countInHand({ type: 'a' })).toBe(4)
    expect(lq.taskListBuffered({ type: 'a', limit: 10 }).map((t) => t.id)).toEqual(['t1'])
    lq.close()
    const again = LocalQueue.open({ path })
    // Rows come back in the order they were written: started and done ones before those close() wrote unstarted.
    expect(again.taskList().map((t) => [t.id, t.state])).toEqual([['t3', 'started'], ['t4', 'done'], ['t1', 'buffered'], ['t2', 'dispatched']])
    expect(again.taskGet({ id: 't3' })).toMatchObject({ workerId: 'a#1', pid: 42, startedAt: 1000, payloadJson: '{"x":1}' })
    const done = again.taskGet({ id: 't4' })!.completion!
    expect(done.outcome).toEqual({ kind: 'succeeded', resultJson: '7' })
    expect(done.startedAt).toEqual(startedAt)
    expect(again.countByState()).toEqual({ buffered: 1, dispatched: 1, started: 1, done: 1 })
    again.close()
  })

  it('keeps a failed outcome, and reads outcomes an older version stored (whole completion, ISO start)', () => {
    const path = dbPath()
    const lq = LocalQueue.open({ path })
    lq.taskInsertMany({ tasks: [claimed('f1'), claimed('old', 4)] })
    const error = { message: 'boom "quoted"', stack: 'at x' }
    lq.taskUpdateMany({ updates: [{ id: 'f1', to: 'done', completion: { id: 'f1', leaseSeq: 1, outcome: { kind: 'failed', error, retryDelayMs: 500 }, workerPid: null, startedAt: null } }] })
    lq.close()
    const db = openSqlite(path, { timeout: 0 })
    const legacy = { id: 'old', leaseSeq: 4, outcome: { kind: 'succeeded', resultJson: '{"a":1}' }, workerPid: 9, startedAt: '2026-01-01T00:00:00.000Z' }
    db.prepare(`UPDATE held SET state = 'done', outcome_json = ? WHERE id = 'old'`).run(JSON.stringify(legacy))
    db.close()
    const again = LocalQueue.open({ path })
    expect(again.taskGet({ id: 'f1' })!.completion).toEqual({ id: 'f1', leaseSeq: 1, outcome: { kind: 'failed', error, retryDelayMs: 500 }, workerPid: null, startedAt: null })
    expect(again.taskGet({ id: 'old' })!.completion).toEqual({ ...legacy, startedAt: new Date('2026-01-01T00:00:00.000Z') })
    again.close()
  })

  it('deletes fenced by lease sequence, and buffers a lost task again', () => {
    const lq = LocalQueue.open({ path: dbPath() })
    lq.taskInsertMany({ tasks: [claimed('t1', 1), claimed('t2', 1)] })
    lq.taskUpdateMany({ updates: [{ id: 't1', to: 'dispatched', workerId: 'a#1', pid: 1 }] })
    lq.taskUpdateMany({ updates: [{ id: 't1', to: 'buffered' }, { id: 'gone', to: 'buffered' }] })
    expect(lq.taskGet({ id: 't1' })).toMatchObject({ state: 'buffered', workerId: null, pid: null })
    // re-claimed under a new lease: an old acknowledgement must not delete it
    lq.taskInsertMany({ tasks: [claimed('t2', 2)] })
    expect(lq.taskDeleteMany({ refs: [{ id: 't2', leaseSeq: 1 }] })).toBe(0)
    expect(lq.taskDeleteMany({ refs: [{ id: 't2', leaseSeq: 2 }, { id: 't1', leaseSeq: 1 }] })).toBe(2)
    expect(lq.size).toBe(0)
    expect(lq.countInHand({ type: 'a' })).toBe(0)
    lq.close()
  })

  it('refuses a second opener, in this process and in another', async () => {
    const path = dbPath()
    const lq = LocalQueue.open({ path })
    expect(() => LocalQueue.open({ path })).toThrow(LocalQueueLockedError)
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('${join(FIXTURES, '..', '..', '..', 'src/drone/local-queue.ts')}').then((m) => { try { m.LocalQueue.open({ path: ${JSON.stringify(path)} }); console.log('opened') } catch (e) { console.log(e.name) } })`], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    await new Promise((r) => child.on('exit', r))
    expect(out.trim()).toBe('LocalQueueLockedError')
    lq.close()
    LocalQueue.open({ path }).close()
  })

  it('survives kill -9 in the middle of writes: integrity ok, whole transactions only', async () => {
    const path = dbPath()
    const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'lq-writer.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] })
    let ticks = 0
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        ticks += d.toString().split('tick').length - 1
        if (ticks >= 30) resolve()
      })
    })
    child.kill('SIGKILL')
    await new Promise((r) => child.on('exit', r))
    const lq = LocalQueue.open({ path })
    expect(lq.integrityCheck()).toBe('ok')
    // each batch inserts 50 and deletes the previous 50: whole batches, never a torn one
    expect(lq.size % 50).toBe(0)
    expect(lq.size).toBeGreaterThan(0)
    expect(lq.size).toBeLessThanOrEqual(100)
    for (const t of lq.taskList()) expect(['buffered', 'dispatched', 'started']).toContain(t.state)
    lq.close()
  })
})
