import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.ts'
import { findConfig, loadConfig } from '../../src/config/load.ts'
import { tempDir } from '../helpers.ts'

const tmp = tempDir('swarmage-config-')
afterAll(() => tmp.cleanup())

/** Each case in its own folder: module imports are cached by URL. */
let n = 0
function folder(files: Record<string, string>): string {
  const dir = join(tmp.dir, `c${n++}`)
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

async function loadError(path: string | undefined, cwd: string): Promise<InputError> {
  const err = await loadConfig(path, cwd).then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(InputError)
  return err as InputError
}

const body = `{ queue: 'sqlite:./data/q.db', workers: { resize: { module: './w/resize.ts', processes: 2 }, up: [{ module: '/abs/up.js' }, { module: 'w/up2.mjs' }] }, drone: { localQueuePath: 'local/x.db', leaseMs: 5000 } }`

describe('loadConfig', () => {
  it('loads swarmage.config.ts from cwd and resolves relative paths against its folder', async () => {
    const dir = folder({ 'swarmage.config.ts': `const n: number = 3\nexport default ${body.replace('processes: 2', 'processes: n - 1')}\n` })
    const loaded = await loadConfig(undefined, dir)
    expect(loaded).not.toBeNull()
    expect(loaded!.path).toBe(join(dir, 'swarmage.config.ts'))
    expect(loaded!.baseDir).toBe(dir)
    const { config } = loaded!
    expect(config.queue).toBe(`sqlite:${join(dir, 'data/q.db')}`)
    expect(config.workers.resize).toEqual({ module: join(dir, 'w/resize.ts'), processes: 2 })
    expect(config.workers.up).toEqual([{ module: '/abs/up.js' }, { module: join(dir, 'w/up2.mjs') }])
    expect(config.drone).toEqual({ localQueuePath: join(dir, 'local/x.db'), leaseMs: 5000 })
  })

  it('loads .mjs, .js (with a config function) and .json', async () => {
    const mjs = folder({ 'swarmage.config.mjs': `export default ${body}\n` })
    expect((await loadConfig(undefined, mjs))!.config.workers.resize).toMatchObject({ processes: 2 })

    const js = folder({ 'package.json': '{"type":"module"}', 'swarmage.config.js': `export default async () => (${body})\n` })
    expect((await loadConfig(undefined, js))!.config.drone?.leaseMs).toBe(5000)

    const json = folder({
      'swarmage.config.json': JSON.stringify({ queue: 'postgres://u:p@h/db', workers: { a: { module: './a.ts' } } }),
    })
    const loaded = (await loadConfig(undefined, json))!
    expect(loaded.config.queue).toBe('postgres://u:p@h/db')
    expect(loaded.config.workers.a).toEqual({ module: join(json, 'a.ts') })
  })

  it('prefers .ts over .json and accepts an explicit path relative to cwd', async () => {
    const dir = folder({
      'swarmage.config.ts': `export default { workers: { fromts: { module: './x.ts' } } }\n`,
      'swarmage.config.json': '{"workers": {"fromjson": {"module": "./x.ts"}}}',
      'sub/other.json': '{"workers": {"other": {"module": "./x.ts"}}}',
    })
    expect(Object.keys((await loadConfig(undefined, dir))!.config.workers)).toEqual(['fromts'])
    const other = (await loadConfig('sub/other.json', dir))!
    expect(other.baseDir).toBe(join(dir, 'sub'))
    expect(other.config.workers.other).toEqual({ module: join(dir, 'sub/x.ts') })
  })

  it('returns null when there is no config and no path; a missing explicit path is an InputError', async () => {
    const dir = folder({})
    expect(await loadConfig(undefined, dir)).toBeNull()
    expect(findConfig(undefined, dir)).toBeNull()
    expect((await loadError('nope.ts', dir)).message).toMatch(/config file nope\.ts not found/)
  })

  it('names the key path and what was expected', async () => {
    const dir = folder({ 'swarmage.config.ts': `export default { workers: { resize: { module: './r.ts', processes: 'two' } } }\n` })
    expect((await loadError(undefined, dir)).message).toBe('swarmage.config.ts: workers.resize.processes: expected number, received string')

    const arr = folder({ 'swarmage.config.json': '{"workers": {"up": [{"module": "./u.ts", "concurrency": 0}]}}' })
    expect((await loadError(undefined, arr)).message).toMatch(/^swarmage\.config\.json: workers\.up\.0\.concurrency: .*expected number to be >0/)

    const key = folder({ 'swarmage.config.mjs': `export default { workers: { 'a b': { module: './r.ts' } } }\n` })
    expect((await loadError(undefined, key)).message).toMatch(/^swarmage\.config\.mjs: workers\."a b": invalid key: a task type/)

    const extra = folder({ 'swarmage.config.json': '{"workers": {}, "drone": {"leaseMs": 5000, "lease": 1}}' })
    expect((await loadError(undefined, extra)).message).toMatch(/^swarmage\.config\.json: drone: Unrecognized key: "lease"/)

    const missing = folder({ 'swarmage.config.json': '{"queue": "sqlite:./q.db"}' })
    expect((await loadError(undefined, missing)).message).toBe('swarmage.config.json: workers: expected an object, but it is missing')
  })

  it('reports invalid JSON with the file, line and column', async () => {
    const dir = folder({ 'swarmage.config.json': '{\n  "workers": {\n    "a": { module: 1 }\n  }\n}' })
    const message = (await loadError(undefined, dir)).message
    expect(message).toMatch(/^swarmage\.config\.json: invalid JSON: /)
    expect(message).toMatch(/line 3 column 12/)
  })

  it('turns a config that throws at import into an InputError naming the file', async () => {
    const dir = folder({ 'swarmage.config.mjs': `throw new Error('no API key in the environment')\n` })
    expect((await loadError(undefined, dir)).message).toBe('swarmage.config.mjs failed to load: no API key in the environment')
    const syntax = folder({ 'swarmage.config.ts': `export default { workers: {\n` })
    expect((await loadError(undefined, syntax)).message).toMatch(/^swarmage\.config\.ts failed to load: /)
  })
})
