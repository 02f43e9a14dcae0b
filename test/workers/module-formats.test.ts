import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WorkerModuleError } from '../../src/core/errors.ts'
import { tempDir, until } from '../helpers.ts'
import { fixture, makePool, task } from './pool-helpers.ts'

const tmp = tempDir('swarmage-workers-')
afterAll(() => tmp.cleanup())

describe('worker module formats', () => {
  it.each([
    ['echo.mjs', 'mjs'],
    ['echo.cjs', 'cjs'],
    ['object.cjs', 'cjs-object'],
  ])('%s runs and returns its result', async (file, format) => {
    const { pool, rec } = makePool(fixture(file), { config: { a: 1 } })
    await pool.start()
    try {
      const t = task({ hello: file }, { attempt: 2, maxAttempts: 7, parentId: 'parent-1' })
      expect(pool.dispatch([t])).toHaveLength(1)
      await rec.outcome(t.id)
      const result = rec.result(t.id) as Record<string, unknown>
      expect(result.format).toBe(format)
      expect(result.payload).toEqual({ hello: file })
      if (format !== 'cjs-object') {
        expect(result.task).toEqual({ id: t.id, type: 't', attempt: 2, maxAttempts: 7, parentId: 'parent-1' })
        expect(result.config).toEqual({ a: 1 })
      }
      expect(result.pid).toBe(pool.processes()[0]!.pid)
    } finally {
      await pool.stop(1000)
    }
  })

  it('.ts module runs through the tsx loader with its config', async () => {
    const { pool, rec } = makePool(fixture('typed.ts'), { config: { factor: 3 } })
    await pool.start()
    try {
      const t = task({ n: 14 })
      pool.dispatch([t])
      await rec.outcome(t.id)
      expect(rec.result(t.id)).toMatchObject({ format: 'ts', doubled: 42 })
    } finally {
      await pool.stop(1000)
    }
  })

  it('object form: setup gets the config before run, teardown runs on stop', async () => {
    const marker = join(tmp.dir, 'teardown-marker')
    const { pool, rec } = makePool(fixture('setup-teardown.js'), { config: { marker } })
    await pool.start()
    const pid = pool.processes()[0]!.pid
    const t = task('x')
    pool.dispatch([t])
    await rec.outcome(t.id)
    expect(rec.result(t.id)).toMatchObject({ format: 'js-object', setup: { config: { marker }, type: 't' } })
    expect(existsSync(marker)).toBe(false)
    await pool.stop(1000)
    expect(readFileSync(marker, 'utf8')).toBe(`teardown ${pid}`)
    expect(pool.processes()[0]!.state).toBe('exited')
  })
})

describe('init errors give WorkerModuleError naming the module', () => {
  async function initError(modulePath: string): Promise<WorkerModuleError> {
    const { pool, rec } = makePool(modulePath, { processes: 2 })
    const err = await pool.start().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(WorkerModuleError)
    // start() stopped the processes it had started.
    await until(() => pool.processes().every((p) => p.state === 'crashed' || p.state === 'exited'), 10_000, 'processes stopped')
    expect(rec.workerEvents.some((e) => e.kind === 'worker-error')).toBe(true)
    return err as WorkerModuleError
  }

  it('missing module', async () => {
    const path = join(tmp.dir, 'does-not-exist.mjs')
    const err = await initError(path)
    expect(err.message).toBe(`Worker module not found: ${path}`)
  })

  it('syntax error', async () => {
    const path = join(tmp.dir, 'syntax-error.mjs')
    writeFileSync(path, 'export default function (payload {\n  return payload\n}\n')
    const err = await initError(path)
    expect(err.message).toContain(`Worker module ${path} does not compile`)
    expect(err.message).toContain('SyntaxError')
  })

  it('syntax error in a .ts module', async () => {
    const path = join(tmp.dir, 'broken.ts')
    writeFileSync(path, 'export default function (payload: number {\n  return payload\n}\n')
    const err = await initError(path)
    expect(err.message).toContain(`Worker module ${path}`)
    expect(err.message).toMatch(/does not compile|Transform failed|Expected/)
  })

  it('throws at import', async () => {
    const path = fixture('throws-at-import.mjs')
    const err = await initError(path)
    expect(err.message).toBe(`Worker module ${path} threw while loading: Error: cannot connect to the frobnicator at import time`)
  })

  it('a config that cannot be cloned to the process', async () => {
    const { pool } = makePool(fixture('echo.mjs'), { config: { onDone: () => 1 } })
    const err = await pool.start().then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(WorkerModuleError)
    expect((err as Error).message).toMatch(/^The config of worker t#1 \(.*echo\.mjs\) cannot be sent to its process/)
  })

  it('setup() throws', async () => {
    const path = fixture('setup-throws.mjs')
    const { pool } = makePool(path, { config: { db: 'pg://nowhere' } })
    const err = await pool.start().then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(WorkerModuleError)
    expect((err as Error).message).toBe(`Worker module ${path} failed in setup(): no database at pg://nowhere`)
  })

  it('no usable default export', async () => {
    const path = fixture('no-export.mjs')
    const err = await initError(path)
    expect(err.message).toContain(`Worker module ${path} has no usable default export`)
    expect(err.message).toContain('named exports: notRun')
  })
})
