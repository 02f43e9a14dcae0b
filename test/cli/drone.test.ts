import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { tempDir, until } from '../helpers.ts'
import { cli, collect, fails, ok, startCli } from './cli.ts'

const tmp = tempDir('swarmage-cli-drone-')
const cwd = tmp.dir
let queue: Queue

function folder(name: string, config: string, workers: Record<string, string> = {}): string {
  const dir = join(cwd, name)
  mkdirSync(join(dir, 'workers'), { recursive: true })
  writeFileSync(join(dir, 'swarmage.config.ts'), config)
  for (const [file, text] of Object.entries(workers)) writeFileSync(join(dir, 'workers', file), text)
  return dir
}

const ECHO = `export default async function (payload: { i: number }, ctx: { log: { info(m: string): void } }) {\n  ctx.log.info('echo ' + payload.i)\n  return { got: payload.i }\n}\n`
// Runs until aborted: the drone must hand it back when stopped at once.
const HANG = `export default function () {\n  return new Promise(() => {})\n}\n`

const app = folder(
  'app',
  `export default {\n  queue: 'sqlite:./q.db',\n  workers: {\n    echo: { module: './workers/echo.ts', processes: 1, concurrency: 4 },\n    hang: { module: './workers/hang.ts' },\n  },\n  drone: { name: 'cli-test', graceMs: 60000 },\n}\n`,
  { 'echo.ts': ECHO, 'hang.ts': HANG },
)

beforeAll(async () => {
  queue = await openQueue(`sqlite:${join(app, 'q.db')}`)
})
// A failed assertion must not leave a drone running into the next test.
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})
afterAll(async () => {
  await queue.close()
  tmp.cleanup()
})

describe('swarmage drone', () => {
  it('runs the configured workers until SIGTERM, then drains and exits 0', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ type: 'echo', payload: { i } })).join('\n')
    writeFileSync(join(app, 'twenty.ndjson'), lines)
    const { ids } = JSON.parse(ok(await cli(['enqueue', '--file', 'twenty.ndjson', '--json'], { cwd: app }))) as { ids: string[] }
    expect(ids).toHaveLength(20)

    const drone = startCli(['drone'], { cwd: app })
    children.push(drone)
    const done = collect(drone)
    await until(async () => (await queue.stats()).types.echo?.succeeded === 20, 60_000, '20 echo tasks succeeded')
    const stats = await queue.stats()
    expect(stats.drones.map((d) => d.name)).toContain('cli-test')
    const task = await queue.mustGet(ids[7]!)
    expect(task).toMatchObject({ state: 'succeeded', result: { got: 7 }, drone: 'cli-test' })
    // Logs are flushed in batches beside outcomes, not necessarily before them.
    await until(async () => (await queue.logs(ids[7]!)).length > 0, 10_000, 'the log of task 7')
    expect((await queue.logs(ids[7]!)).map((l) => l.message)).toEqual(['echo 7'])

    drone.kill('SIGTERM')
    const r = await done
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/drone running on sqlite:.*q\.db/)
    expect(r.stdout.match(/ succeeded +echo /g)).toHaveLength(20)
    expect(r.stdout).toMatch(/SIGTERM: draining/)
    expect(r.stdout).toMatch(/drone stopped/)
  })

  it('drains on the first signal and stops at once on the second, handing the running task back', async () => {
    const id = await queue.enqueue('hang', null)
    const drone = startCli(['drone', '--json'], { cwd: app })
    children.push(drone)
    const done = collect(drone)
    await until(async () => (await queue.get(id))?.state === 'running', 60_000, 'the hanging task to run')
    // The drone is draining once it reports so; its graceMs (60 s) would keep it waiting.
    let out = ''
    drone.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    drone.kill('SIGTERM')
    await until(() => out.includes('"state":"draining"'), 30_000, 'draining')
    drone.kill('SIGTERM')
    const r = await done
    expect(r.code).toBe(0)
    // --json: every stdout line is an event.
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string })
    expect(events.some((e) => e.kind === 'started')).toBe(true)
    expect(events.at(-1)).toMatchObject({ kind: 'drone-state', state: 'stopped' })
    const task = await queue.mustGet(id)
    expect(task.state).toBe('queued')
    await queue.cancel(id)
  })

  it('refuses a bad config, a missing worker module and no config with exit 2 naming the problem', async () => {
    const badType = folder('bad-type', `export default { workers: { echo: { module: './workers/echo.ts', processes: 'two' } } }\n`, { 'echo.ts': ECHO })
    const missing = folder('missing', `export default { queue: 'sqlite:./q.db', workers: { resize: { module: './workers/resize.ts' } } }\n`)
    const broken = folder('broken', `export default { queue: 'sqlite:./q.db', workers: { b: { module: './workers/b.ts' } } }\n`, { 'b.ts': 'export default {\n' })
    const empty = join(cwd, 'empty')
    mkdirSync(empty)
    const [a, b, c, d] = await Promise.all([
      cli(['drone'], { cwd: badType }),
      cli(['drone'], { cwd: missing }),
      cli(['drone'], { cwd: empty }),
      cli(['drone', '--quiet'], { cwd: broken }),
    ])
    fails(a, 2, /^swarmage: swarmage\.config\.ts: workers\.echo\.processes: expected number, received string$/)
    fails(b, 2, /worker "resize": module workers\/resize\.ts not found/)
    fails(c, 2, /no config file: none of swarmage\.config\.ts, .*; give --config FILE/)
    // Found by the worker process at start: the drone fails to start, naming the module.
    fails(d, 2, /Worker module .*workers\/b\.ts does not compile/)
  })
})
