/**
 * Scenario 13 (issue 4): bad input, fuzzed, at the CLI and the library while a drone runs on the same
 * queue. Each bad input gets one clear error (exit status 2, one line on stderr, no stack trace) and
 * stores nothing; the running drone does not crash and still works afterwards.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { until } from '../helpers.ts'
import { DroneProc, droneConfig, freshQueue, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { LEDGER_WORKER, ROOT } from './lib/mode.ts'

const CAP = 1024 * 1024
const BIN = join(ROOT, 'scripts/dev-cli.js')

let q: PgQueue
const { tmp, drones } = scenario('s13', async () => {
  await q?.cleanup()
})

function run(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env }
    delete env.SWARMAGE_QUEUE
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    // A drone that would run forever is a failure too: stop it after 30 s.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, stdout })
    })
  })
}

/** A payload whose JSON is exactly `bytes` long: a string of x. */
const payloadOf = (bytes: number): string => 'x'.repeat(bytes - 2)

it('bad input, fuzzed: one clear error each, nothing stored, the running drone unharmed', async () => {
  const t0 = Date.now()
  q = await freshQueue('s13')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const drone = new DroneProc(droneConfig(q, 'd1', tmp.dir, { workers: { work: { module: LEDGER_WORKER, config: { ledger } } }, drone: { pollMs: 200 } }))
  drones.push(drone)
  await drone.running()
  const count = async (): Promise<number> => Number((await q.admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${q.schema}".tasks`)).rows[0]!.n)
  const file = (name: string, content: string | Buffer): string => {
    const p = join(tmp.dir, name)
    writeFileSync(p, content)
    return p
  }
  const good = (n: number): string => JSON.stringify({ type: 'work', payload: { n } })
  const badConfig = file('bad.config.json', JSON.stringify({ queue: q.address, workers: { work: { module: LEDGER_WORKER, processes: 'two' } } }))
  const throwsConfig = file('throws.config.json', JSON.stringify({ queue: q.address, workers: { work: { module: join(ROOT, 'test/fixtures/workers/throws-at-import.mjs') } } }))
  const Q = ['--queue', q.address]
  const cases: Array<{ name: string; args: string[]; accept?: 'stored-or-refused' }> = [
    { name: 'type with a quote', args: ['enqueue', 'a"b', '{}', ...Q] },
    { name: 'type with ;', args: ['enqueue', "work'; DROP TABLE tasks; --", '{}', ...Q] },
    { name: 'type of 10,000 characters', args: ['enqueue', 'w'.repeat(10_000), '{}', ...Q] },
    { name: 'payload not JSON', args: ['enqueue', 'work', '{"a":', ...Q] },
    { name: 'JSON nested 10,000 deep', args: ['enqueue', 'work', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, ...Q], accept: 'stored-or-refused' },
    { name: '--file: payload one byte over the cap', args: ['enqueue', '--file', file('over.ndjson', `${good(1)}\n${JSON.stringify({ type: 'work', payload: payloadOf(CAP + 1) })}\n`), ...Q] },
    { name: '--file: invalid UTF-8', args: ['enqueue', '--file', file('utf8.ndjson', Buffer.concat([Buffer.from(`${good(1)}\n{"type":"work","payload":"`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}\n')])), ...Q] },
    { name: '--file: one malformed line of 5', args: ['enqueue', '--file', file('malformed.ndjson', [good(1), good(2), '{"type":"work","payload":', good(4), good(5)].join('\n')), ...Q] },
    { name: '--file: NUL in a payload', args: ['enqueue', '--file', file('nul.ndjson', `${good(1)}\n{"type":"work","payload":"a\\u0000b"}\n`), ...Q] },
    { name: 'config with wrong types', args: ['drone', '--config', badConfig] },
    { name: 'worker module throwing at import', args: ['drone', '--config', throwsConfig] },
  ]
  const results: Record<string, string> = {}
  const checks: Record<string, boolean> = {}
  for (const c of cases) {
    const before = await count()
    const r = await run(c.args)
    const stored = (await count()) - before
    const lines = r.stderr.trim().split('\n').filter(Boolean)
    const clear = r.code === 2 && lines.length === 1 && !/^\s+at /m.test(r.stderr) && stored === 0
    const ok = c.accept === 'stored-or-refused' ? clear || (r.code === 0 && stored === 1) : clear
    results[c.name] = `exit ${r.code}, ${stored} stored: ${(lines[0] ?? '').slice(0, 120)}${lines.length > 1 ? ` (+${lines.length - 1} lines)` : ''}`
    checks[c.name] = ok
  }
  // Library entry: NUL in a type, payload at the cap (stored) and one byte over (refused).
  const lib = async (name: string, f: () => Promise<unknown>, expectStored: number): Promise<void> => {
    const before = await count()
    let error = ''
    try {
      await f()
    } catch (err) {
      error = (err as Error).message
    }
    const stored = (await count()) - before
    results[name] = `${stored} stored${error ? `: ${error.slice(0, 120)}` : ''}`
    checks[name] = stored === expectStored && (expectStored === 1 ? error === '' : error !== '')
  }
  await lib('library: type with NUL', () => q.queue.enqueue('wo\0rk', {}), 0)
  await lib('library: payload at the cap', () => q.queue.enqueue('work', payloadOf(CAP)), 1)
  await lib('library: payload one byte over', () => q.queue.enqueue('work', payloadOf(CAP + 1)), 0)
  // The drone lived through it all and still works.
  const probe = await q.queue.enqueue('work', { n: 'probe' })
  await until(async () => (await q.queue.get(probe))?.state === 'succeeded', 30_000, 'the probe task').catch(() => undefined)
  checks['running drone unharmed'] = drone.alive && (await q.queue.get(probe))?.state === 'succeeded'
  for (const [k, v] of Object.entries(results)) process.stdout.write(`  ${checks[k] ? 'ok  ' : 'FAIL'} ${k}: ${v}\n`)
  const failed = Object.entries(checks).filter(([, v]) => !v).map(([k]) => k)
  const figures = recordFigures(
    {
      id: 's13',
      title: 'Bad input, fuzzed',
      size: `${cases.length} CLI inputs + 3 library inputs, drone running on the same queue`,
      runs: cases.length + 3,
      faults: cases.length + 3,
      lost: 0,
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: null,
      extra: { 'handled cleanly': `${Object.values(checks).filter(Boolean).length}/${Object.keys(checks).length}`, ...(failed.length ? { 'not clean': failed.map((k) => `${k} → ${results[k]}`).join(' · ') } : {}) },
      checks,
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
