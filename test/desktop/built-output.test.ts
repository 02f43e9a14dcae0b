// What `electron-vite build` produces, checked as built: the preload is small and self-contained
// with every contract method; the worker host entry runs a TypeScript worker module with no loader
// flag (it registers tsx itself, as a utility process needs). The host is forked with plain Node
// here (host.ts picks process.send when there is no parentPort): a real process, a real .ts module.
import { execFileSync, fork } from 'node:child_process'
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_METHODS } from '../../src/api/contract.ts'
import type { FromWorker, ToWorker } from '../../src/workers/protocol.ts'
import { tempDir } from '../helpers.ts'

const root = join(import.meta.dirname, '..', '..')
// Built into a folder of its own, not out/ (other test files serve out/renderer meanwhile), inside
// the project so the bundles' external imports (tsx, pg, better-sqlite3) resolve from node_modules.
const outDir = join(root, 'node_modules', '.cache', `swarmage-build-test-${process.pid}`)
const out = (p: string) => join(outDir, p)

describe('electron-vite build output', () => {
  const tmp = tempDir('swarmage-built-')
  beforeAll(() => {
    // ~3 s on this machine; the same command `npm start` runs when out/ is stale.
    execFileSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--outDir', outDir, '--logLevel', 'error'], { cwd: root, stdio: 'pipe' })
  }, 120_000)
  afterAll(() => {
    tmp.cleanup()
    rmSync(outDir, { recursive: true, force: true })
  })

  it('builds main (ESM), the worker host, a CommonJS preload and the renderer', () => {
    expect(readFileSync(out('main/index.js'), 'utf8')).toMatch(/^import .* from "electron"/m)
    expect(readFileSync(out('main/worker-host.js'), 'utf8')).toMatch(/^import "tsx";/m)
    expect(readFileSync(out('renderer/index.html'), 'utf8')).toMatch(/Content-Security-Policy/)
    const preload = readFileSync(out('preload/index.cjs'), 'utf8')
    expect(preload).toMatch(/require\("electron"\)/)
    expect(preload).not.toMatch(/^import /m)
  })

  it('keeps native and server packages out of the main bundle', () => {
    const chunks = readdirSync(out('main/chunks')).map((f) => readFileSync(join(out('main/chunks'), f), 'utf8'))
    const main = [readFileSync(out('main/index.js'), 'utf8'), ...chunks].join('\n')
    expect(main).not.toMatch(/class Database\b.*better-sqlite3/s)
    expect(main).toMatch(/require\("better-sqlite3-node20"\)|from "better-sqlite3-node20"/)
    expect(main).toMatch(/from "pg"|require\("pg"\)/)
  })

  it('the preload is small, requires nothing but electron, and carries every contract method', () => {
    const preload = readFileSync(out('preload/index.cjs'), 'utf8')
    expect(statSync(out('preload/index.cjs')).size).toBeLessThan(10_000)
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron'])
    for (const m of API_METHODS) expect(preload).toContain(JSON.stringify(m))
    expect(preload).not.toMatch(/zod/)
  })

  it('the built worker host loads a .ts worker module and runs a task, with no --import flag', async () => {
    const modulePath = join(tmp.dir, 'double.ts')
    writeFileSync(modulePath, 'export default async function (payload: { n: number }): Promise<number> { const n: number = payload.n; return n * 2 }\n')
    const child = fork(out('main/worker-host.js'), ['double#1'], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    const messages: FromWorker[] = []
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const waitFor = (pred: (m: FromWorker) => boolean) =>
      new Promise<FromWorker>((resolve, reject) => {
        const found = messages.find(pred)
        if (found) return resolve(found)
        const onMessage = (m: FromWorker) => {
          if (!pred(m)) return
          child.off('message', onMessage)
          resolve(m)
        }
        child.on('message', onMessage)
        child.once('exit', (code) => reject(new Error(`worker host exited (${code}) before the expected message`)))
      })
    child.on('message', (m: FromWorker) => messages.push(m))
    const send = (m: ToWorker) => child.send(m)
    try {
      send({ t: 'init', type: 'double', modulePath, config: null, concurrency: 1 })
      const ready = await waitFor((m) => m.t === 'ready' || m.t === 'init-error')
      expect(ready).toMatchObject({ t: 'ready', pid: child.pid })
      send({ t: 'run', tasks: [{ id: 'task-1', type: 'double', payloadJson: '{"n":21}', attempt: 1, maxAttempts: 1, parentId: null, timeoutMs: 10_000 }] })
      const done = await waitFor((m) => m.t === 'items' && m.items.some((i) => i.k === 'succeeded' || i.k === 'failed'))
      const item = done.t === 'items' ? done.items.find((i) => i.k === 'succeeded' || i.k === 'failed') : undefined
      expect(item).toMatchObject({ k: 'succeeded', id: 'task-1', resultJson: '42' })
      send({ t: 'shutdown', graceMs: 1_000 })
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
