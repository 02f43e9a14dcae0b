/**
 * The Activity view in a real browser (issue #10): an action taken in the page shows up with who
 * took it (the token and the client's address), and a line made elsewhere (the desktop's IPC) arrives
 * live while the view is open.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBEDDED_ID } from '../../src/api/service.ts'
import { tempDir } from '../helpers.ts'
import { T, enqueue, nav, openConsole } from './flows.ts'
import { buildRenderer, launchBrowser, startConsole, watchErrors, type ConsoleHandle } from './harness.ts'

describe('console e2e: Activity', () => {
  const tmp = tempDir('swarmage-e2e-activity-')
  let consoleHandle: ConsoleHandle
  let browser: Browser
  let page: Page
  let errors: string[]

  beforeAll(async () => {
    const staticDir = buildRenderer()
    consoleHandle = await startConsole({ dataDir: join(tmp.dir, 'data'), staticDir })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    errors = watchErrors(page)
    await openConsole(page, consoleHandle.url)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await consoleHandle?.close()
    tmp.cleanup()
  })

  it('lists the page\'s own action with its token actor, and a pushed IPC line live', async () => {
    await nav(page, 'activity')
    await page.getByTestId('activity-empty').waitFor({ timeout: T })
    await enqueue(page, 'audited', '{"n":1}')
    await nav(page, 'activity')
    const rows = page.getByTestId('activity-row')
    await rows.first().waitFor({ timeout: T })
    expect(await rows.first().getAttribute('data-action')).toBe('tasks.enqueue')
    expect(await rows.first().textContent()).toMatch(/token 127\.0\.0\.1.*tasks\.enqueue.*type=audited.*ok/)

    await consoleHandle.service.handle('tasks.demo', { connectionId: EMBEDDED_ID, count: 2 }, { via: 'ipc' })
    await expect.poll(() => rows.count(), { timeout: T }).toBe(2)
    expect(await rows.first().textContent()).toMatch(/ipc.*tasks\.demo.*count=2/)
    expect(errors).toEqual([])
  })
})
