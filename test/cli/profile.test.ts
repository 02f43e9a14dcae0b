import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { tempDir } from '../helpers.ts'
import { cli, fails, ok } from './cli.ts'

// `swarmage profile TYPE --tasks N --out FILE`: a drone of that one type runs the next N tasks under the
// V8 CPU profiler and writes the .cpuprofile; the tasks are real (they finish in the queue).
const CRUNCH = fileURLToPath(new URL('../debug/fixtures/crunch.mjs', import.meta.url))
const tmp = tempDir('swarmage-cli-profile-')
afterAll(() => tmp.cleanup())

describe('swarmage profile', () => {
  const cfg = join(tmp.dir, 'swarmage.config.json')
  writeFileSync(cfg, JSON.stringify({ queue: 'sqlite:./q.db', workers: { crunch: { module: CRUNCH } }, drone: { leaseMs: 5000 } }))

  it('writes a .cpuprofile of the next 20 tasks with the worker\'s function names; --json says what it wrote', async () => {
    const queue = await openQueue(`sqlite:${join(tmp.dir, 'q.db')}`, { migrate: true })
    const ids = await queue.enqueueMany(Array.from({ length: 25 }, () => ({ type: 'crunch', payload: { ms: 3 } })))
    await queue.close()
    const out = join(tmp.dir, 'crunch.cpuprofile')
    const doc = JSON.parse(ok(await cli(['profile', 'crunch', '--tasks', '20', '--out', out, '--json'], { cwd: tmp.dir }))) as {
      type: string
      tasks: number
      profiles: Array<{ file: string; workerId: string; tasks: number; samples: number; bytes: number }>
    }
    expect(doc).toMatchObject({ type: 'crunch', tasks: 20, profiles: [{ file: out, workerId: 'crunch#1', tasks: 20 }] })
    const text = readFileSync(out, 'utf8')
    expect(Buffer.byteLength(text)).toBe(doc.profiles[0]!.bytes)
    const profile = JSON.parse(text) as { nodes: Array<{ callFrame: { functionName: string } }>; samples: number[] }
    expect(profile.samples.length).toBe(doc.profiles[0]!.samples)
    expect(profile.nodes.map((n) => n.callFrame.functionName)).toContain('crunchPrimesForProfile')
    // Real tasks: at least the 20 covered ones finished in the queue.
    const after = await openQueue(`sqlite:${join(tmp.dir, 'q.db')}`)
    const states = await Promise.all(ids.map(async (id) => (await after.mustGet(id)).state))
    await after.close()
    expect(states.filter((s) => s === 'succeeded').length).toBeGreaterThanOrEqual(20)
  }, 90_000)

  it('refuses a type the config does not serve (2), and fails (1) when no task ran before --timeout', async () => {
    fails(await cli(['profile', 'nope', '--tasks', '5', '--out', 'x.cpuprofile'], { cwd: tmp.dir }), 2, /the config has no workers for type nope \(it has: crunch\)/)
    fails(await cli(['profile', 'crunch', '--tasks', '0', '--out', 'x.cpuprofile'], { cwd: tmp.dir }), 2, /--tasks/)
    // An empty queue of its own (the first test's may have tasks left).
    const empty = join(tmp.dir, 'empty.config.json')
    writeFileSync(empty, JSON.stringify({ queue: 'sqlite:./empty.db', workers: { crunch: { module: CRUNCH } } }))
    const r = await cli(['profile', 'crunch', '--tasks', '5', '--out', join(tmp.dir, 'none.cpuprofile'), '--timeout', '1500', '--config', empty], { cwd: tmp.dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^swarmage: no crunch task ran under the profiler/)
  }, 90_000)
})
