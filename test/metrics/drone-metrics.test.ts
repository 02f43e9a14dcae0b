/**
 * `swarmage drone --metrics-port` as a user runs it: a real drone process on SQLite and on
 * PostgreSQL, its /metrics scraped over HTTP and parsed by a real exposition-format parser, the
 * counters checked against the tasks it ran.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { collect, startCli } from '../cli/cli.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema, until } from '../helpers.ts'
import { scrape, value } from './scrape.ts'

const tmp = tempDir('swarmage-metrics-drone-')
const schema = uniqueSchema('metrics_drone')
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})
afterAll(async () => {
  await dropSchema(schema)
  tmp.cleanup()
})

const WORKERS: Record<string, string> = {
  'ok.ts': `export default async function (payload: unknown) {\n  return payload\n}\n`,
  'flaky.ts': `export default async function () {\n  throw new Error('always fails')\n}\n`,
  // One postback each: the drone process enqueues it, so it counts it.
  'parent.ts': `export default async function (_p: unknown, ctx: { enqueue(t: string, p: unknown): Promise<string> }) {\n  return { child: await ctx.enqueue('ok', { child: true }) }\n}\n`,
}

function project(name: string, queue: string): string {
  const dir = join(tmp.dir, name)
  mkdirSync(join(dir, 'workers'), { recursive: true })
  for (const [file, text] of Object.entries(WORKERS)) writeFileSync(join(dir, 'workers', file), text)
  const config = {
    queue,
    workers: { ok: { module: './workers/ok.ts', concurrency: 2 }, flaky: { module: './workers/flaky.ts' }, parent: { module: './workers/parent.ts' } },
    drone: { name: `metrics-${name}`, leaseMs: 3000, retryBaseMs: 10, retryMaxMs: 50 },
  }
  writeFileSync(join(dir, 'swarmage.config.json'), JSON.stringify(config))
  return dir
}

const backends: Array<[string, () => string]> = [
  ['sqlite', () => `sqlite:${join(tmp.dir, 'sqlite', 'q.db')}`],
  ['postgres', () => pgAddress(schema)],
]

describe.each(backends)('swarmage drone --metrics-port on %s', (name, address) => {
  it('serves counters, gauges and histograms that match the tasks it ran', async () => {
    const dir = project(name, address())
    const queue = await openQueue(address(), { migrate: true })
    try {
      // Enqueued here, in the test's process: the drone counts only its own enqueues (the postbacks).
      await queue.enqueueMany([
        ...Array.from({ length: 5 }, (_, i) => ({ type: 'ok', payload: { i } })),
        ...Array.from({ length: 2 }, () => ({ type: 'flaky', payload: null, options: { maxAttempts: 2 } })),
        ...Array.from({ length: 3 }, () => ({ type: 'parent', payload: null })),
      ])
      const drone = startCli(['drone', '--metrics-port', '0', '--json'], { cwd: dir })
      children.push(drone)
      const done = collect(drone)
      let out = ''
      drone.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      await until(() => /"metrics":"[^"]+"/.test(out), 60_000, 'the metrics URL')
      const url = (JSON.parse(out.split('\n').find((l) => l.includes('"metrics"'))!) as { metrics: string }).metrics
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)

      const droneName = `metrics-${name}`
      const d = { drone: droneName }
      const expected: Array<[string, Record<string, string>, number]> = [
        ['swarmage_tasks_started_total', { type: 'ok', ...d }, 8],
        ['swarmage_tasks_succeeded_total', { type: 'ok', ...d }, 8],
        ['swarmage_tasks_started_total', { type: 'parent', ...d }, 3],
        ['swarmage_tasks_succeeded_total', { type: 'parent', ...d }, 3],
        ['swarmage_tasks_started_total', { type: 'flaky', ...d }, 4],
        ['swarmage_tasks_retried_total', { type: 'flaky', ...d }, 2],
        ['swarmage_tasks_failed_total', { type: 'flaky', ...d }, 2],
        ['swarmage_tasks_enqueued_total', { type: 'ok' }, 3],
        // Every start had its due time from the claim; every finished attempt its run time.
        ['swarmage_task_wait_seconds_count', { type: 'ok' }, 8],
        ['swarmage_task_wait_seconds_count', { type: 'flaky' }, 4],
        ['swarmage_task_run_seconds_count', { type: 'ok' }, 8],
        ['swarmage_task_run_seconds_count', { type: 'flaky' }, 4],
        ['swarmage_task_run_seconds_count', { type: 'parent' }, 3],
        // Queue-wide: this drone is the only live one, so it serves them (cached up to 10 s).
        ['swarmage_queue_tasks', { type: 'ok', state: 'queued' }, 0],
        ['swarmage_queue_tasks', { type: 'ok', state: 'running' }, 0],
        ['swarmage_queue_tasks', { type: 'flaky', state: 'queued' }, 0],
        // bufferPerWorker 15 × 1 process (above 2 × concurrency 2 × 1).
        ['swarmage_drone_capacity', { type: 'ok', ...d }, 15],
        ['swarmage_drone_lease_seconds', d, 3],
      ]
      let last = await scrape(url)
      const mismatches = (): string[] =>
        expected.filter(([n, l, v]) => value(last.series, n, l) !== v).map(([n, l, v]) => `${n}${JSON.stringify(l)}: ${value(last.series, n, l)} (want ${v})`)
      await until(async () => {
        last = await scrape(url)
        return mismatches().length === 0 && value(last.series, 'swarmage_drone_lease_extend_age_seconds', d) !== undefined
      }, 50_000, 'the metrics to match the tasks run').catch((err: unknown) => {
        throw new Error(`${String(err)}: ${mismatches().join('; ')}`)
      })
      expect(last.status).toBe(200)
      expect(last.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
      expect(value(last.series, 'swarmage_tasks_failed_total', { type: 'ok', ...d })).toBeUndefined()
      expect(value(last.series, 'swarmage_drone_buffered', { type: 'ok', ...d })).toBe(0)
      expect(value(last.series, 'swarmage_drone_running', { type: 'ok', ...d })).toBe(0)
      // Extended every leaseMs / 3 = 1 s: a healthy drone's last extension is well within its lease.
      expect(value(last.series, 'swarmage_drone_lease_extend_age_seconds', d)).toBeLessThan(3)
      const waitSum = value(last.series, 'swarmage_task_wait_seconds_sum', { type: 'ok' })!
      expect(waitSum).toBeGreaterThanOrEqual(0)
      expect(value(last.series, 'swarmage_task_run_seconds_sum', { type: 'flaky' })).toBeGreaterThanOrEqual(0)
      // Only /metrics is served.
      expect((await fetch(url.replace(/\/metrics$/, '/other'))).status).toBe(404)

      drone.kill('SIGTERM')
      const r = await done
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    } finally {
      await queue.close()
    }
  })
})

describe('swarmage drone --metrics-port, bad values', () => {
  it('refuses a port that is not one with exit 2, naming it', async () => {
    const dir = project('bad', `sqlite:${join(tmp.dir, 'bad.db')}`)
    const r = await collect(startCli(['drone', '--metrics-port', '70000'], { cwd: dir }))
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--metrics-port.*70000|70000.*--metrics-port/)
  })

  it('fails with exit 1 and one line naming the port when it is taken', async () => {
    const dir = project('busy', `sqlite:${join(tmp.dir, 'busy.db')}`)
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const port = (taken.address() as { port: number }).port
      const r = await collect(startCli(['drone', '--metrics-port', String(port)], { cwd: dir }))
      expect(r.code).toBe(1)
      expect(r.stdout).toBe('')
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(new RegExp(`^swarmage: --metrics-port ${port} on 127\\.0\\.0\\.1: .*EADDRINUSE`))
    } finally {
      taken.close()
    }
  })
})
