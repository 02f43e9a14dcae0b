/**
 * One console session per e2e file: a temp folder, the built renderer, the real console service and
 * server, Chromium, and (unless `page: false`) one page opened on the console with its errors watched.
 * Registers the file's beforeAll/afterAll; the returned object's fields are filled in beforeAll.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { tempDir } from '../helpers.ts'
import { openConsole } from './flows.ts'
import { buildRenderer, launchBrowser, startConsole, watchErrors, type ConsoleHandle } from './harness.ts'

export interface ConsoleSessionOptions {
  /** startConsole's options besides its folders (the data folder is `<tmp>/data`). */
  console?: Omit<Parameters<typeof startConsole>[0], 'dataDir' | 'staticDir'>
  /** false: only the browser, the tests open their own pages. */
  page?: boolean
  viewport?: { width: number; height: number }
  colorScheme?: 'light' | 'dark'
  /** Accept every confirm() the page asks (the console confirms removals, stops, bulk actions). */
  acceptDialogs?: boolean
  /** beforeAll's timeout. */
  timeout?: number
  /** Runs first in beforeAll, before the console starts (e.g. filling a queue). */
  prepare?: () => Promise<void>
  /** Runs once the console is up, before the browser is launched (e.g. a drone the page finds running). */
  started?: (consoleHandle: ConsoleHandle) => Promise<void>
  /** Runs first in afterAll, while the browser and the console still run. */
  closing?: () => Promise<void>
  /** Runs in afterAll once the console is closed, before the temp folder is removed. */
  closed?: () => Promise<void>
}

export interface ConsoleSession {
  tmp: { dir: string; cleanup: () => void }
  console: ConsoleHandle
  browser: Browser
  /** The page opened on the console (not with `page: false`). */
  page: Page
  /** The page's errors (see watchErrors). */
  errors: string[]
}

export function consoleSession(prefix: string, opts: ConsoleSessionOptions = {}): ConsoleSession {
  const session = { tmp: tempDir(prefix) } as ConsoleSession
  const { dir } = session.tmp

  beforeAll(async () => {
    await opts.prepare?.()
    const staticDir = buildRenderer()
    session.console = await startConsole({ dataDir: join(dir, 'data'), staticDir, ...opts.console })
    await opts.started?.(session.console)
    session.browser = await launchBrowser()
    if (opts.page === false) return
    session.page = await session.browser.newPage({
      viewport: opts.viewport ?? { width: 1440, height: 900 },
      ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
    })
    if (opts.acceptDialogs) session.page.on('dialog', (d) => void d.accept())
    session.errors = watchErrors(session.page)
    await openConsole(session.page, session.console.url)
  }, opts.timeout ?? 120_000)

  afterAll(async () => {
    await opts.closing?.()
    await session.browser?.close()
    await session.console?.close()
    await opts.closed?.()
    session.tmp.cleanup()
  })

  return session
}
