import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { validateNewTask } from '../../src/core/validate.ts'
import { SqliteDriver } from '../../src/queue/sqlite/driver.ts'
import { tempDir, until } from '../helpers.ts'
import { runFixture, type FixtureProcess } from './fixtures/spawn.ts'

interface ClaimerReport {
  pid: number
  claimed: string[]
  refused: number
  errors: string[]
}

describe('SQLite queue shared by separate processes', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  it('3 claimer processes complete 3,000 tasks enqueued meanwhile: each exactly once, no SQLITE_BUSY', async () => {
    const tmp = tempDir('swarmage-mp-')
    cleanups.push(tmp.cleanup)
    const path = join(tmp.dir, 'shared.db')
    const driver = await SqliteDriver.open({ path })
    cleanups.push(() => driver.close())
    await driver.schemaMigrate()

    const procs: FixtureProcess[] = [0, 1, 2].map(() => runFixture('claimer.ts', [path, 'mp', '25', '5']))
    cleanups.push(() => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
    })
    await until(
      () => {
        const dead = procs.find((p) => p.child.exitCode !== null)
        if (dead) throw new Error(`a claimer process exited early: ${dead.stderr()}`)
        return procs.every((p) => p.lines.includes('ready'))
      },
      30_000,
      'the claimer processes to subscribe',
    )

    const total = 3000
    const t0 = performance.now()
    const ids: string[] = []
    // Enqueued in 30 batches while the claimers drain: inserts contend with claims and completions.
    for (let b = 0; b < total / 100; b++) {
      const rows = [...Array(100)].map((_, i) => validateNewTask({ type: 'mp', payload: { n: b * 100 + i } }, { maxPayloadBytes: 1 << 20 }))
      ids.push(...(await driver.taskInsertMany({ tasks: rows })))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await until(async () => (await driver.taskCount({ type: 'mp', state: 'succeeded' })) === total, 60_000, 'every task to succeed')
    const elapsed = performance.now() - t0

    for (const p of procs) p.child.stdin.write('stop\n')
    const codes = await Promise.all(procs.map((p) => p.exited))
    expect(codes, procs.map((p) => p.stderr()).join('\n')).toEqual([0, 0, 0])
    const reports = procs.map((p) => JSON.parse(p.lines[p.lines.length - 1]!) as ClaimerReport)

    const claimed = reports.flatMap((r) => r.claimed)
    console.log(
      `[sqlite multiprocess] ${total} tasks by 3 processes in ${elapsed.toFixed(0)} ms ` +
        `(${(total / (elapsed / 1000)).toFixed(0)} tasks/s), per process: ${reports.map((r) => r.claimed.length).join(', ')}`,
    )
    expect(reports.flatMap((r) => r.errors)).toEqual([])
    expect(reports.map((r) => r.refused)).toEqual([0, 0, 0])
    expect(claimed).toHaveLength(total)
    expect(new Set(claimed)).toEqual(new Set(ids))
    // The processes really shared the work (how evenly depends on the OS scheduler on a loaded machine).
    expect(reports.filter((r) => r.claimed.length > 0).length).toBeGreaterThanOrEqual(2)

    // The queue agrees: one attempt each, completed by the process that claimed it.
    const owner = new Map(reports.flatMap((r) => r.claimed.map((id) => [id, r.pid] as const)))
    expect(await driver.taskCount({ type: 'mp', state: 'running' })).toBe(0)
    for (const id of ids) {
      const task = (await driver.taskGet({ id }))!
      expect(task.attempts).toBe(1)
      expect(task.result).toEqual({ pid: owner.get(id) })
      const attempts = await driver.taskAttemptList({ id })
      expect(attempts.map((a) => [a.outcome, a.workerPid])).toEqual([['succeeded', owner.get(id)]])
    }
  })
})
