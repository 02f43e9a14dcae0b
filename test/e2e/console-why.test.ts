/**
 * "Why isn't this running?" in the console (issue #12, item 3), in a real browser against the real
 * console service, an SQLite queue, a drone and its worker processes: the task detail's panel says no
 * drone serves the type and the Flow view warns unasked; once a drone serves it, the same open panel
 * follows the task (held by the drone, then how it ended) without being reopened; what the handler
 * prints shows in the detail's logs while it still runs (captured output, item 4).
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.ts'
import { T, addWorker, enqueue, nav, openConsole, openTaskFromEnqueue, startDrone, waitTaskState } from './flows.ts'
import { buildRenderer, launchBrowser, screenshot, startConsole, watchErrors, type ConsoleHandle } from './harness.ts'

describe('console e2e: why is a task not running', () => {
  const tmp = tempDir('swarmage-e2e-why-')
  let consoleHandle: ConsoleHandle
  let browser: Browser
  let page: Page
  let errors: string[]

  beforeAll(async () => {
    const staticDir = buildRenderer()
    consoleHandle = await startConsole({ dataDir: join(tmp.dir, 'data'), staticDir })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' })
    page.on('dialog', (d) => void d.accept())
    errors = watchErrors(page)
    await openConsole(page, consoleHandle.url)
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await consoleHandle?.close()
    tmp.cleanup()
  })

  it('explains a waiting task live, and warns in Flow about a type no drone serves', async () => {
    await nav(page, 'connections')
    await page.getByTestId('connection-add').click()
    await page.getByTestId('connection-name').fill('why')
    await page.getByTestId('connection-kind-sqlite').click()
    await page.getByTestId('connection-path').fill(join(tmp.dir, 'queue.db'))
    await page.getByTestId('connection-save').click()
    const row = page.getByTestId('connection-row-why')
    await row.waitFor({ timeout: T })
    const connectionId = (await row.getAttribute('data-id'))!
    await page.getByTestId('connection-use-why').click()

    const id = await enqueue(page, 'lonely', '{"holdMs": 8000, "print": "printed by the handler"}')
    await openTaskFromEnqueue(page, id)
    const reason = (code: string) => page.locator(`[data-testid="task-why-reason"][data-code="${code}"]`)
    await reason('no-drone').waitFor({ timeout: T })
    expect(await reason('no-drone').textContent()).toContain('no live drone serves type lonely (no drone is live)')
    await screenshot(page, 'task-why')

    await nav(page, 'flow')
    const warning = page.getByTestId('flow-unserved-lonely')
    await warning.waitFor({ timeout: T })
    expect(await warning.textContent()).toMatch(/lonely: 1 queued on why, and no live drone serves this type/)

    // A drone for the type: the warning goes, and the task detail (still open) follows the task.
    await addWorker(page, 'lonely', 1)
    await startDrone(page, connectionId, 'why-drone')
    await nav(page, 'flow')
    await expect.poll(() => page.getByTestId('flow-unserved-lonely').count(), { timeout: T }).toBe(0)
    await nav(page, 'tasks')
    await page.locator(`[data-testid="task-detail"][data-id="${id}"]`).waitFor({ timeout: T })
    await reason('held-by-drone').waitFor({ timeout: T })
    expect(await reason('held-by-drone').textContent()).toMatch(/held by drone why-drone \(attempt 1 of 5, lease expires in .+, last heartbeat .+ ago\)/)
    // Captured output, shown while the task still runs (the detail re-reads a running task).
    const printed = page.locator('[data-testid="task-logs"] li[data-stream="stdout"]')
    await printed.waitFor({ timeout: T })
    expect(await printed.textContent()).toMatch(/stdout printed by the handler$/)
    expect(await page.getByTestId('task-detail').getAttribute('data-state')).toBe('running')
    await waitTaskState(page, id, 'succeeded')
    await reason('succeeded').waitFor({ timeout: T })
    expect(await reason('succeeded').textContent()).toMatch(/succeeded on drone why-drone at .* after 1 attempt$/)
    expect(errors).toEqual([])
  }, 180_000)
})
