import { afterEach, describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { Drone } from '../../src/drone/drone.ts'
import { OUTPUT_MAX_CHARS } from '../../src/workers/output-capture.ts'
import { until } from '../helpers.ts'
import { cli, ok } from '../cli/cli.ts'
import { BACKENDS, FAST, testQueue } from '../drone/setup.ts'

// Captured output (CONTRACT.md "Debugging"): a handler's stdout/stderr lines are its task's logs,
// attributed per task in a worker process running 4 tasks at once, bounded per attempt.
const CHATTY = fileURLToPath(new URL('./fixtures/chatty.mjs', import.meta.url))

describe.each(BACKENDS)('captured output on %s', (backend) => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })

  it('keeps each task\'s stdout and stderr lines with that task, beside ctx.log, with concurrency 4', async () => {
    const q = await testQueue(backend, 'output')
    cleanups.push(q.cleanup)
    const drone = new Drone({ queue: q.queue, baseDir: q.dir, workers: { chatty: { module: CHATTY, processes: 1, concurrency: 4 } }, drone: FAST })
    cleanups.push(() => drone.stop())
    const ids = await q.queue.enqueueMany(Array.from({ length: 8 }, (_, i) => ({ type: 'chatty', payload: { i } })))
    const flood = await q.queue.enqueue('chatty', { flood: true })
    await drone.start()
    await until(async () => (await q.queue.stats()).types.chatty?.succeeded === 9, 60_000, 'all tasks to succeed')

    for (const [i, id] of ids.entries()) {
      const logs = await q.queue.logs(id)
      const of = (stream: string) => logs.filter((l) => l.stream === stream).map((l) => l.message)
      expect(of('stdout')).toEqual([0, 1, 2, 3, 4].map((k) => `task ${i} out ${k}`).concat(`task ${i} tail without newline`))
      expect(of('stderr')).toEqual([0, 1, 2, 3, 4].map((k) => `task ${i} err ${k}`))
      expect(of('log')).toEqual([0, 1, 2, 3, 4].map((k) => `task ${i} log ${k}`))
      expect(logs.filter((l) => l.stream === 'stdout').every((l) => l.level === 'info' && l.attempt === 1)).toBe(true)
      expect(logs.filter((l) => l.stream === 'stderr').every((l) => l.level === 'warn')).toBe(true)
    }

    // `swarmage task ID --json` shows them with their stream.
    const shown = JSON.parse(ok(await cli(['task', ids[3]!, '--json', '--queue', q.address], { cwd: q.dir }))) as { logs: Array<{ stream: string; message: string }> }
    expect(shown.logs.filter((l) => l.stream === 'stderr').map((l) => l.message)).toEqual([0, 1, 2, 3, 4].map((k) => `task 3 err ${k}`))

    // 2,000 lines of 100 characters: kept up to the bound, then one warning with the count dropped.
    const logs = await q.queue.logs(flood, 5_000)
    const kept = logs.filter((l) => l.stream === 'stdout')
    // Whole lines up to the bound, then the cut line's start (flushed when the task ended).
    expect(kept.length).toBe(Math.ceil(OUTPUT_MAX_CHARS / 100))
    expect(kept.at(-1)!.message).toBe('x'.repeat(OUTPUT_MAX_CHARS % 100))
    const note = logs.at(-1)!
    expect(note).toMatchObject({ stream: 'log', level: 'warn' })
    expect(note.message).toMatch(new RegExp(`^output truncated: ${200_000 - OUTPUT_MAX_CHARS} more characters were not kept`))
  }, 90_000)
})
