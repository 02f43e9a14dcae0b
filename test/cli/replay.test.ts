import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { openSqlite } from '../../src/core/sqlite-lib.ts'
import { openQueue } from '../../src/queue/open.ts'
import { dropSchema, pgAddress, tempDir, TEST_PG, uniqueSchema } from '../helpers.ts'
import { cli, collect, fails, startCli } from './cli.ts'

// `swarmage replay ID` (CONTRACT.md "Debugging"): a fresh worker process runs the task once; the
// queue is unchanged, row for row (every table's rows, the task's row, no child task); postbacks are
// printed; exit 0 when the handler returned, 1 when it threw, 2 for bad input; --inspect waits for a
// debugger before the handler.
const tmp = tempDir('swarmage-cli-replay-')
const schema = uniqueSchema('cli_replay')
afterAll(async () => {
  await dropSchema(schema)
  tmp.cleanup()
})

const GREET = `export default async function (payload, ctx) {
  console.log('printing', payload.name)
  process.stderr.write('to stderr\\n')
  ctx.log.info('logged', { attempt: ctx.task.attempt, greeting: ctx.config.greeting })
  const child = await ctx.enqueue('greet.child', { of: payload.name }, { priority: 3 })
  if (payload.fail) throw new Error('asked to fail')
  return { text: ctx.config.greeting + ' ' + payload.name, child }
}
`
const OTHER = `export default async (payload) => ({ other: true, name: payload.name })\n`

/** Every table's rows, in a stable order: equal before and after means nothing was written. */
async function dump(backend: string, dir: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {}
  if (backend === 'sqlite') {
    const db = openSqlite(join(dir, 'q.db'), { readonly: true })
    try {
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[]
      for (const t of tables) out[t] = db.prepare(`SELECT * FROM "${t}"`).all().map((r) => JSON.stringify(r)).sort()
    } finally {
      db.close()
    }
    return out
  }
  const client = new pg.Client({ connectionString: TEST_PG })
  await client.connect()
  try {
    const tables = (await client.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])).rows
    for (const { t } of tables) out[t] = (await client.query(`SELECT * FROM "${schema}"."${t}"`)).rows.map((r) => JSON.stringify(r)).sort()
  } finally {
    await client.end()
  }
  return out
}

describe.each(['sqlite', 'postgres'])('swarmage replay on %s', (backend) => {
  const dir = join(tmp.dir, backend)
  const address = backend === 'sqlite' ? 'sqlite:./q.db' : pgAddress(schema)
  mkdirSync(join(dir, 'workers'), { recursive: true })
  writeFileSync(join(dir, 'swarmage.config.mjs'), `export default { queue: ${JSON.stringify(address)}, workers: { greet: { module: './workers/greet.mjs', config: { greeting: 'hi' } } } }\n`)
  writeFileSync(join(dir, 'workers', 'greet.mjs'), GREET)
  writeFileSync(join(dir, 'other.mjs'), OTHER)
  const run = (...args: string[]) => cli(['replay', ...args], { cwd: dir })

  it('runs the task in a fresh process, prints output, logs and postbacks, and leaves the queue as it was', async () => {
    const queue = await openQueue(backend === 'sqlite' ? `sqlite:${join(dir, 'q.db')}` : address, { migrate: true })
    const id = await queue.enqueue('greet', { name: 'ann' })
    const orphan = await queue.enqueue('nobody', {})
    const row = await queue.get(id)
    await queue.close()
    const before = await dump(backend, dir)
    expect(before.tasks).toHaveLength(2)

    const text = await run(id)
    expect(text.stderr).toBe('')
    expect(text.code).toBe(0)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/ stdout printing ann$/)
    expect(lines[1]).toMatch(/ stderr to stderr$/)
    expect(lines[2]).toMatch(/ info {3}logged \{"attempt":1,"greeting":"hi"\}$/)
    expect(lines[3]).toMatch(/^would enqueue greet\.child \{"of":"ann"\} \{"priority":3\} \(not enqueued; the handler got id [0-9a-f-]{36}\)$/)
    expect(lines[4]).toMatch(new RegExp(`^returned in [\\d.]+ ms \\(task ${id}, attempt 1\\): \\{"text":"hi ann","child":"[0-9a-f-]{36}"\\}$`))

    const json = await run(id, '--json')
    expect(json.code).toBe(0)
    const doc = JSON.parse(json.stdout) as Record<string, unknown>
    expect(doc).toMatchObject({ id, type: 'greet', outcome: 'succeeded', attempt: 1, result: { text: 'hi ann' }, postbacks: [{ type: 'greet.child', payload: { of: 'ann' }, options: { priority: 3 } }] })
    expect((doc.logs as Array<{ stream: string }>).map((l) => l.stream)).toEqual(['stdout', 'stderr', 'log'])

    // Another payload, and a handler that throws: exit 1, the stack on stdout, one line on stderr.
    const threw = await run(id, '--payload', '{"name":"bob","fail":true}')
    expect(threw.code).toBe(1)
    expect(threw.stdout).toMatch(/ stdout printing bob\n/)
    expect(threw.stdout).toMatch(/^threw in [\d.]+ ms .*: asked to fail\nError: asked to fail\n\s+at .*greet\.mjs:6/m)
    expect(threw.stderr).toBe('swarmage: the handler threw: asked to fail\n')

    // Another module.
    const other = await run(id, '--worker', './other.mjs', '--json')
    expect(JSON.parse(other.stdout)).toMatchObject({ outcome: 'succeeded', result: { other: true, name: 'ann' } })

    // Bad input: exit 2, one line naming it, nothing run.
    fails(await run('00000000-0000-4000-8000-000000000000'), 2, /no task with id 00000000-0000-4000-8000-000000000000/)
    fails(await run(id, '--payload', '{nope'), 2, /--payload is not valid JSON/)
    fails(await run(id, '--inspect=http'), 2, /--inspect "http" is not a port/)
    fails(await run(id, '--worker', 'missing.mjs'), 2, /--worker missing.mjs not found/)
    fails(await run(orphan), 2, /no worker module for type nobody: give --worker FILE/)

    expect(await dump(backend, dir)).toEqual(before)
    const after = await openQueue(backend === 'sqlite' ? `sqlite:${join(dir, 'q.db')}` : address)
    expect(await after.get(id)).toEqual(row)
    expect(await after.children(id)).toEqual([])
    await after.close()
  }, 120_000)

  it('--inspect waits for a debugger and pauses before the handler', async () => {
    const queue = await openQueue(backend === 'sqlite' ? `sqlite:${join(dir, 'q.db')}` : address, { migrate: true })
    const id = await queue.enqueue('greet', { name: 'dee' })
    await queue.close()
    const child = startCli(['replay', id, '--inspect=0'], { cwd: dir })
    const done = collect(child)
    let out = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /^inspector: (ws:\/\/\S+)/m.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('close', () => reject(new Error(`replay ended before its inspector was up: ${out}`)))
    })
    expect(out).not.toMatch(/printing/) // the handler waits for the debugger
    const ws = new WebSocket(url)
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    const paused = new Promise<{ callFrames: Array<{ functionName: string }> }>((resolve) => {
      ws.on('message', (raw: Buffer) => {
        const m = JSON.parse(raw.toString()) as { method?: string; params?: { callFrames: Array<{ functionName: string }> } }
        if (m.method === 'Debugger.paused') resolve(m.params!)
      })
    })
    ws.send(JSON.stringify({ id: 1, method: 'Debugger.enable' }))
    ws.send(JSON.stringify({ id: 2, method: 'Runtime.runIfWaitingForDebugger' }))
    const p = await paused
    // one statement before the handler's call: "step into" enters it
    expect(p.callFrames[0]!.functionName).toBe('runHandler')
    expect(out).not.toMatch(/printing/)
    ws.send(JSON.stringify({ id: 3, method: 'Debugger.resume' }))
    // A process with a debugger attached waits for it to leave before exiting: leave once it answered.
    await new Promise<void>((resolve) => {
      const check = () => /^returned in/m.test(out) && resolve()
      child.stdout!.on('data', check)
      check()
    })
    ws.close()
    const r = await done
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/ stdout printing dee\n/)
    expect(r.stdout).toMatch(/^returned in [\d.]+ ms/m)
  }, 60_000)
})
