import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.ts'
import { cli, fails, jsonLines, ok } from './cli.ts'
import { roundTrip } from './round-trip.ts'

const tmp = tempDir('swarmage-cli-')
afterAll(() => tmp.cleanup())
const cwd = tmp.dir

describe('swarmage CLI on SQLite', () => {
  it('enqueue, tasks, task, cancel, retry, stats, delete round-trip with --json', async () => {
    await roundTrip(`sqlite:${join(cwd, 'round.db')}`, cwd)
  })

  it('refuses bad input with exit 2 and one line naming what was wrong, storing nothing', async () => {
    const q = ['--queue', 'sqlite:./bad.db']
    const big = `"${'a'.repeat(1024 * 1024 + 10)}"`
    const results = await Promise.all([
      cli(['enqueue', 'a b', ...q], { cwd }),
      cli(['enqueue', 'ok', '{nope', ...q], { cwd }),
      cli(['enqueue', 'ok', '-', ...q], { cwd, input: big }),
      cli(['tasks', '--state', 'nope', ...q], { cwd }),
      cli(['tasks', '--queue', 'mysql://db.example/x'], { cwd }),
      cli(['tasks', '--frobnicate', ...q], { cwd }),
      cli(['frobnicate'], { cwd }),
      cli(['enqueue', 'ok', '--priority', 'high', ...q], { cwd }),
      cli(['enqueue', 'ok', '--delay', '5', '--run-at', '2030-01-01T00:00:00Z', ...q], { cwd }),
      cli(['task', '00000000-0000-4000-8000-000000000000', ...q], { cwd }),
    ])
    const [type, json, size, state, address, option, command, priority, both, missing] = results
    fails(type!, 2, /invalid task type "a b": expected 1–100 characters of A-Z a-z 0-9 _ \. : \/ -/)
    fails(json!, 2, /payload is not valid JSON/)
    fails(size!, 2, /payload is 1048588 bytes serialized, over the limit of 1048576 bytes/)
    fails(state!, 2, /unknown state "nope": expected one of queued, running, succeeded, failed, cancelled/)
    fails(address!, 2, /unknown queue address "mysql:\/\/db\.example\/x": expected sqlite:PATH/)
    fails(option!, 2, /unknown option '--frobnicate'/)
    fails(command!, 2, /unknown command 'frobnicate'/)
    fails(priority!, 2, /--priority <n>.*'high' is invalid/)
    fails(both!, 2, /'--delay <ms>' cannot be used with option '--run-at <iso>'/)
    fails(missing!, 2, /no task with id 00000000-0000-4000-8000-000000000000/)
    expect(jsonLines(ok(await cli(['tasks', '--json', ...q], { cwd })))).toEqual([])
  })

  it('enqueue --file refuses a 2 GB sparse file from its size, without reading it, storing nothing', async () => {
    const q = ['--queue', 'sqlite:./sparse.db']
    execFileSync('truncate', ['-s', '2G', join(cwd, 'huge.ndjson')])
    const started = Date.now()
    fails(await cli(['enqueue', '--file', 'huge.ndjson', ...q], { cwd }), 2, /huge\.ndjson is larger than 256 MiB, the --file limit/)
    // Reading (and scanning) 2 GB of zeros takes far longer than refusing from fstat.
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(jsonLines(ok(await cli(['tasks', '--json', ...q], { cwd })))).toEqual([])
    rmSync(join(cwd, 'huge.ndjson'))
  })

  it('enqueue --file validates every line first: one bad line refuses the file, naming it', async () => {
    const q = ['--queue', 'sqlite:./file.db']
    writeFileSync(join(cwd, 'bad.ndjson'), '{"type":"a","payload":1}\n\n{"type":"b", "payload": {oops}}\n{"type":"c"}\n')
    writeFileSync(join(cwd, 'bad-type.ndjson'), '{"type":"a"}\n{"type":"no spaces"}\n')
    // invalid UTF-8 (0xff) inside a JSON string on line 2: refused, not stored as U+FFFD
    writeFileSync(join(cwd, 'bad-utf8.ndjson'), Buffer.concat([Buffer.from('{"type":"a"}\n{"type":"b","payload":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]))
    writeFileSync(
      join(cwd, 'good.ndjson'),
      '{"type":"a","payload":{"i":1}}\n{"type":"b","payload":[2],"priority":7}\n\n{"type":"c","options":{"key":"kc","maxAttempts":2}}\n',
    )
    const [bad, badType, badUtf8] = await Promise.all([
      cli(['enqueue', '--file', 'bad.ndjson', ...q], { cwd }),
      cli(['enqueue', '--file', 'bad-type.ndjson', ...q], { cwd }),
      cli(['enqueue', '--file', 'bad-utf8.ndjson', ...q], { cwd }),
    ])
    fails(bad, 2, /bad\.ndjson line 3: the line is not valid JSON/)
    fails(badType, 2, /bad-type\.ndjson line 2: invalid task type "no spaces"/)
    fails(badUtf8, 2, /bad-utf8\.ndjson line 2: not valid UTF-8/)
    expect(jsonLines(ok(await cli(['tasks', '--json', ...q], { cwd })))).toEqual([])

    const { ids } = JSON.parse(ok(await cli(['enqueue', '--file', 'good.ndjson', '--json', ...q], { cwd }))) as { ids: string[] }
    expect(ids).toHaveLength(3)
    const tasks = jsonLines(ok(await cli(['tasks', '--json', ...q], { cwd }))) as Array<Record<string, unknown>>
    const byId = new Map(tasks.map((t) => [t.id, t]))
    expect(byId.get(ids[0]!)).toMatchObject({ type: 'a', payload: { i: 1 }, priority: 0 })
    expect(byId.get(ids[1]!)).toMatchObject({ type: 'b', payload: [2], priority: 7 })
    expect(byId.get(ids[2]!)).toMatchObject({ type: 'c', payload: null, key: 'kc', maxAttempts: 2 })
  })

  it('takes the queue from --queue, else the config, else SWARMAGE_QUEUE, else ./.swarmage/swarm.db', async () => {
    const dir = join(cwd, 'precedence')
    const plain = join(cwd, 'plain')
    mkdirSync(dir)
    mkdirSync(plain)
    writeFileSync(join(dir, 'swarmage.config.json'), JSON.stringify({ queue: 'sqlite:./from-config.db', workers: {}, maxPayloadBytes: 64 }))
    const env = { SWARMAGE_QUEUE: `sqlite:${join(cwd, 'from-env.db')}` }
    const [fromConfig, fromFlag, fromEnv, fromDefault, tooBig] = await Promise.all([
      cli(['enqueue', 'x', '--json'], { cwd: dir, env }),
      cli(['enqueue', 'x', '--queue', 'sqlite:./from-flag.db', '--json'], { cwd: dir, env }),
      cli(['enqueue', 'x', '--json'], { cwd: plain, env }),
      cli(['enqueue', 'x', '--json'], { cwd: plain }),
      cli(['enqueue', 'x', JSON.stringify('y'.repeat(100))], { cwd: dir }),
    ])
    for (const r of [fromConfig, fromFlag, fromEnv, fromDefault]) expect(JSON.parse(ok(r))).toHaveProperty('id')
    expect(existsSync(join(dir, 'from-config.db'))).toBe(true)
    expect(existsSync(join(dir, 'from-flag.db'))).toBe(true)
    expect(existsSync(join(cwd, 'from-env.db'))).toBe(true)
    expect(existsSync(join(plain, '.swarmage', 'swarm.db'))).toBe(true)
    // The config's maxPayloadBytes is the cap for commands run with it.
    fails(tooBig, 2, /over the limit of 64 bytes/)
  })
})
