import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { tempDir, until } from '../helpers.ts'
import { collect, startCli } from './cli.ts'

const tmp = tempDir('swarmage-cli-drone-pause-')
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  tmp.cleanup()
})

describe('swarmage drone: SIGUSR1 pauses claiming, SIGUSR2 resumes', () => {
  it('holds new tasks queued while paused and runs them after the resume', async () => {
    mkdirSync(join(tmp.dir, 'workers'))
    writeFileSync(join(tmp.dir, 'workers', 'echo.mjs'), 'export default async (p) => ({ got: p })\n')
    writeFileSync(join(tmp.dir, 'swarmage.config.mjs'), "export default { queue: 'sqlite:./q.db', workers: { echo: { module: './workers/echo.mjs' } }, drone: { name: 'pausable' } }\n")
    const queue = await openQueue(`sqlite:${join(tmp.dir, 'q.db')}`)
    try {
      const drone = startCli(['drone'], { cwd: tmp.dir })
      children.push(drone)
      let stdout = ''
      drone.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
      const done = collect(drone)
      const first = await queue.enqueue('echo', 1)
      await until(async () => (await queue.get(first))?.state === 'succeeded', 60_000, 'the first task to run')

      drone.kill('SIGUSR1')
      await until(() => /SIGUSR1: claiming paused/.test(stdout), 20_000, 'the pause line')
      const held = await queue.enqueue('echo', 2)
      // A negative can only be watched: two poll periods of the drone (1 s each) with the task untouched.
      const watchUntil = Date.now() + 2_500
      while (Date.now() < watchUntil) {
        expect((await queue.get(held))?.state).toBe('queued')
        await new Promise((r) => setTimeout(r, 100))
      }

      drone.kill('SIGUSR2')
      await until(async () => (await queue.get(held))?.state === 'succeeded', 20_000, 'the held task to run after SIGUSR2')
      expect(stdout).toMatch(/SIGUSR2: claiming resumed/)
      drone.kill('SIGTERM')
      const r = await done
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    } finally {
      await queue.close()
    }
  })
})
