import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { tsxImportUrl } from '../../src/workers/fork-spawner.ts'
import { until } from '../helpers.ts'
import { fixture, isAlive, makePool, task } from './pool-helpers.ts'

describe('WorkerPool faults', () => {
  it('a task that respects abort fails at its timeout and keeps its process', async () => {
    const { pool, rec } = makePool(fixture('abortable.mjs'), { taskTimeoutMs: 300 })
    await pool.start()
    try {
      const pid = pool.processes()[0]!.pid
      const t = task({})
      pool.dispatch([t])
      const o = await rec.outcome(t.id)
      if (o.k !== 'failed') throw new Error('expected failure')
      expect(o.aborted).toBe('timeout')
      expect(o.error.message).toBe('Task exceeded its timeout of 300 ms')
      expect(rec.lost).toEqual([])
      expect(pool.processes()[0]).toMatchObject({ pid, state: 'idle', restarts: 0 })
    } finally {
      await pool.stop(1000)
    }
  })

  it('a task that ignores abort past its timeout gets its process killed and replaced; tasks reported lost', async () => {
    const { pool, rec } = makePool(fixture('hang.mjs'), { taskTimeoutMs: 60_000, killGraceMs: 300, concurrency: 1, prefetch: 1 })
    await pool.start()
    try {
      const oldPid = pool.processes()[0]!.pid
      const hung = task({}, { timeoutMs: 300 })
      const queued = task({})
      pool.dispatch([hung, queued])
      await until(() => rec.lost.length === 1, 10_000, 'lost report')
      const lost = rec.lost[0]!
      expect(lost).toMatchObject({ workerId: 't#1', pid: oldPid, reason: 'timeout' })
      expect(lost.tasks.map((t) => [t.id, t.started])).toEqual([
        [hung.id, true],
        [queued.id, false],
      ])
      expect(lost.tasks[0]!.error.message).toMatch(/^Task exceeded its timeout of 300 ms and did not stop within 300 ms of being aborted/)
      expect(lost.error.message).toContain(`task ${hung.id} exceeded its timeout of 300 ms`)
      expect(rec.outcomes.has(hung.id)).toBe(false)
      await until(() => pool.processes()[0]!.state === 'idle' && pool.processes()[0]!.pid !== oldPid, 10_000, 'replacement ready')
      expect(pool.processes()[0]!.restarts).toBe(1)
      expect(isAlive(oldPid)).toBe(false)
      expect(pool.freeSlots()).toBe(2)
    } finally {
      await pool.stop(1000)
    }
  })

  it('a process that exits is replaced; lost tasks carry their started flags', async () => {
    const { pool, rec } = makePool(fixture('crash.mjs'), { concurrency: 2, prefetch: 2 })
    await pool.start()
    try {
      const oldPid = pool.processes()[0]!.pid
      const slow = task({})
      const crasher = task({ crash: true, afterMs: 200 })
      const q1 = task({ ms: 1 })
      const q2 = task({ ms: 1 })
      pool.dispatch([slow, crasher, q1, q2])
      await until(() => rec.lost.length === 1, 10_000, 'lost report')
      const lost = rec.lost[0]!
      expect(lost.reason).toBe('crashed')
      expect(lost.error.message).toBe(`worker process t#1 (pid ${oldPid}) exited unexpectedly (code 1)`)
      expect(Object.fromEntries(lost.tasks.map((t) => [t.id, t.started]))).toEqual({ [slow.id]: true, [crasher.id]: true, [q1.id]: false, [q2.id]: false })
      const exited = rec.workerEvents.find((e) => e.kind === 'worker-exited' && e.pid === oldPid)
      expect(exited).toMatchObject({ code: 1, error: { message: expect.stringContaining('exited unexpectedly') } })
      await until(() => pool.processes()[0]!.state === 'idle' && pool.processes()[0]!.pid !== oldPid, 10_000, 'replacement ready')
      // The replacement takes work.
      const after = task({ ms: 1 })
      pool.dispatch([after])
      expect((await rec.outcome(after.id)).k).toBe('succeeded')
    } finally {
      await pool.stop(1000)
    }
  })

  it('crash loops back off: 100 ms, then 200 ms before the next replacement', async () => {
    const { pool, rec } = makePool(fixture('crash.mjs'))
    await pool.start()
    try {
      for (let i = 1; i <= 2; i++) {
        await until(() => pool.processes()[0]!.state === 'idle', 10_000, 'ready')
        pool.dispatch([task({ crash: true })])
        await until(() => rec.lost.length === i, 10_000, `crash ${i}`)
      }
      await until(() => pool.processes()[0]!.restarts === 2 && pool.processes()[0]!.state === 'idle', 10_000, 'second replacement')
      const exits = rec.workerEvents.filter((e) => e.kind === 'worker-exited').map((e) => e.at)
      const spawns = rec.workerEvents.filter((e) => e.kind === 'worker-spawned').map((e) => e.at)
      expect(spawns).toHaveLength(3)
      expect(spawns[1]! - exits[0]!).toBeGreaterThanOrEqual(95)
      expect(spawns[2]! - exits[1]!).toBeGreaterThanOrEqual(195)
    } finally {
      await pool.stop(1000)
    }
  })

  it('stop kills a process whose task ignores the shutdown abort, reporting it lost (shutdown)', async () => {
    const { pool, rec } = makePool(fixture('hang.mjs'), { killGraceMs: 200 })
    await pool.start()
    const pid = pool.processes()[0]!.pid
    const t = task({})
    pool.dispatch([t])
    await until(() => pool.processes()[0]!.running.length === 1, 10_000, 'started')
    await pool.stop(200)
    expect(rec.lost).toHaveLength(1)
    expect(rec.lost[0]).toMatchObject({ reason: 'shutdown', tasks: [{ id: t.id, started: true }] })
    expect(isAlive(pid)).toBe(false)
  })

  it('recycles a process after maxTasksPerProcess tasks', async () => {
    const { pool, rec } = makePool(fixture('echo.mjs'), { maxTasksPerProcess: 3, concurrency: 1, prefetch: 5 })
    await pool.start()
    try {
      const firstPid = pool.processes()[0]!.pid
      const batch = [task(1), task(2), task(3)]
      pool.dispatch(batch)
      for (const t of batch) expect((await rec.outcome(t.id)).pid).toBe(firstPid)
      await until(() => pool.processes()[0]!.pid !== firstPid && pool.freeSlots() > 0, 10_000, 'recycled')
      expect(rec.lost).toEqual([])
      const next = task(4)
      pool.dispatch([next])
      expect((await rec.outcome(next.id)).pid).not.toBe(firstPid)
    } finally {
      await pool.stop(1000)
    }
  })

  it('recycles a process that reached maxTasksPerProcess while still holding tasks, once they are done', async () => {
    // 4 tasks in hand, the limit reached after 2: the last 2 finish in later batches, and only then may
    // the process stop and be replaced (it used to linger 'stopping' forever, stalling the type).
    const { pool, rec } = makePool(fixture('sleep.mjs'), { maxTasksPerProcess: 2, concurrency: 1, prefetch: 5 })
    await pool.start()
    try {
      const firstPid = pool.processes()[0]!.pid
      const batch = [1, 2, 3, 4].map(() => task({ ms: 30 }))
      expect(pool.dispatch(batch)).toHaveLength(4)
      for (const t of batch) expect((await rec.outcome(t.id)).pid).toBe(firstPid)
      await until(() => pool.processes()[0]!.pid !== firstPid && pool.freeSlots() > 0, 10_000, 'the retired process replaced')
      const next = task({ ms: 0 })
      pool.dispatch([next])
      expect((await rec.outcome(next.id)).pid).not.toBe(firstPid)
      expect(rec.lost).toEqual([])
    } finally {
      await pool.stop(1000)
    }
  })

  it('recycles a process above maxRssMb', async () => {
    const { pool } = makePool(fixture('echo.mjs'), { maxRssMb: 1 })
    await pool.start()
    const firstPid = pool.processes()[0]!.pid
    await until(() => pool.processes()[0]!.restarts >= 1, 10_000, 'recycled for memory')
    expect(pool.processes()[0]!.pid).not.toBe(firstPid)
    await pool.stop(1000)
  })

  it('restart with inspect exposes the inspector URL; a plain restart drops it', async () => {
    const { pool, rec } = makePool(fixture('echo.mjs'), { processes: 2 })
    await pool.start()
    try {
      const before = pool.processes().map((p) => p.pid)
      await pool.restart('t#2', { inspect: true })
      const [one, two] = pool.processes()
      expect(one!.pid).toBe(before[0])
      expect(two!.pid).not.toBe(before[1])
      expect(two!.inspectUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+$/)
      expect(rec.workerEvents.find((e) => e.kind === 'worker-ready' && e.pid === two!.pid)?.inspectUrl).toBe(two!.inspectUrl)
      const t = task('x')
      pool.dispatch([t])
      expect((await rec.outcome(t.id)).k).toBe('succeeded')
      await pool.restart()
      expect(pool.processes().every((p) => p.inspectUrl === undefined && p.state === 'idle')).toBe(true)
      expect(pool.processes().map((p) => p.restarts)).toEqual([1, 2])
    } finally {
      await pool.stop(1000)
    }
  })

  it('worker processes exit when their parent dies', async () => {
    const parent = spawn(process.execPath, ['--import', tsxImportUrl(), fixture('pool-parent.ts'), fixture('hang.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout! }).once('line', resolve)
      parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)))
    })
    const { pids } = JSON.parse(line) as { pids: number[] }
    expect(pids).toHaveLength(2)
    for (const pid of pids) expect(isAlive(pid)).toBe(true)
    parent.kill('SIGKILL')
    for (const pid of pids) await until(() => !isAlive(pid), 10_000, `worker ${pid} to exit`)
  })

  it('a worker whose drone died starts none of the tasks still in its pipe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swarmage-orphan-run-'))
    const marks = join(dir, 'starts')
    const parent = spawn(process.execPath, ['--import', tsxImportUrl(), fixture('run-then-die-parent.ts'), fixture('marks-start.mjs'), marks], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: parent.stdout! }).once('line', resolve)
        parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)))
      })
      const { pid } = JSON.parse(line) as { pid: number }
      // Held still while its drone sends a task and dies: the 'run' message waits in the pipe, read
      // only after the drone is gone, as when a drone is SIGKILLed with a dispatch in flight.
      process.kill(pid, 'SIGSTOP')
      const parentGone = new Promise<void>((resolve) => parent.once('exit', () => resolve()))
      parent.stdin!.write('go\n')
      await parentGone
      process.kill(pid, 'SIGCONT')
      await until(() => !isAlive(pid), 10_000, `worker ${pid} to exit`)
      // Started, it would run while its lease runs out and run again after the rescue: a duplicate.
      expect(existsSync(marks) ? readFileSync(marks, 'utf8') : '').toBe('')
    } finally {
      parent.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
