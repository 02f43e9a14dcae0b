/**
 * E2E harness: builds the renderer (once per source state, into a temp folder shared by test files),
 * runs the real ConsoleService + console server in-process on port 0, and drives Debian's Chromium
 * through playwright-core. Everything is real: SQLite files, PostgreSQL, drones, worker processes.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { ConsoleService } from '../../src/api/service.ts'
import { startConsoleServer, type ConsoleBackend, type ConsoleServer } from '../../src/console/server.ts'

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
export const FIXTURE_WORKER = join(ROOT, 'test/e2e/fixtures/worker.mjs')
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/**
 * The built renderer for the current sources: a temp folder named by a hash of the sources' newest
 * mtime and the build config, built at most once (to a private folder, then renamed: files running
 * in parallel never see a half-written build).
 */
export function buildRenderer(): string {
  const config = join(ROOT, 'test/e2e/vite.renderer.config.ts')
  const stamp = `production:${newestMtime(join(ROOT, 'src/renderer'))}:${newestMtime(join(ROOT, 'src/api'))}:${statSync(config).mtimeMs}`
  const dir = join(tmpdir(), `swarmage-renderer-${createHash('sha1').update(stamp).digest('hex').slice(0, 12)}`)
  if (existsSync(join(dir, 'index.html'))) return dir
  const work = `${dir}.build-${process.pid}`
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', config], {
    cwd: ROOT,
    // vitest sets NODE_ENV=test, which would give React's development build (jsxDEV, checks): 2-3x slower.
    env: { ...process.env, NODE_ENV: 'production', OUT_DIR: work },
    stdio: 'pipe',
  })
  try {
    renameSync(work, dir)
  } catch {
    // Another file built it meanwhile: use theirs.
    rmSync(work, { recursive: true, force: true })
  }
  return dir
}

/**
 * out/renderer (what `swarmage console` serves), rebuilt with this folder's vite config when missing
 * or older than the renderer sources. Only the CLI e2e file calls it.
 */
export function ensureOutRenderer(): string {
  const out = join(ROOT, 'out/renderer')
  const index = join(out, 'index.html')
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(ROOT, 'src/renderer'))) return out
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(ROOT, 'test/e2e/vite.renderer.config.ts')], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production', OUT_DIR: out }, stdio: 'pipe' })
  return out
}

export interface ConsoleHandle {
  url: string
  port: number
  service: ConsoleService
  server: ConsoleServer
  /** Restarts only the HTTP/WebSocket server on the same port (the page must reconnect by itself). */
  restartServer(): Promise<void>
  stopServer(): Promise<void>
  close(): Promise<void>
}

export async function startConsole(opts: { dataDir: string; staticDir: string; defaultQueue?: string; token?: string; holdMethod?: string }): Promise<ConsoleHandle> {
  const service = new ConsoleService({
    dataDir: opts.dataDir,
    mode: 'browser',
    // No seedExamples: the service's default, as `swarmage console` without --examples (none).
    ...(opts.defaultQueue ? { defaultQueue: opts.defaultQueue } : {}),
  })
  await service.start()
  const log = (): void => undefined
  const token = opts.token ? { token: opts.token } : {}
  // holdMethod: calls of that method never answer (a call "in flight" for as long as a test needs one).
  const backend: ConsoleBackend = {
    handle: (method, params) => (method === opts.holdMethod ? new Promise<never>(() => undefined) : service.handle(method, params)),
    subscribe: (listener) => service.subscribe(listener),
  }
  let server = await startConsoleServer({ service: backend, port: 0, staticDir: opts.staticDir, log, ...token })
  const port = server.port
  const handle: ConsoleHandle = {
    url: server.url,
    port,
    service,
    server,
    async stopServer() {
      await server.close()
    },
    async restartServer() {
      // The same token: the page holds it (sessionStorage) and reconnects with it.
      server = await startConsoleServer({ service: backend, port, staticDir: opts.staticDir, log, ...(server.token !== null ? { token: server.token } : {}) })
      handle.server = server
    },
    async close() {
      await server.close()
      await service.stop()
    },
  }
  return handle
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** Collects page errors and console errors so a test can assert the page stayed clean. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  return errors
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path })
  return path
}
