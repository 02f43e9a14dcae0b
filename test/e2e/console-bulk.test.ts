/**
 * Bulk actions in the Tasks view, in a real browser against the real console service on an SQLite
 * queue (issue #14): "Retry all…" with the current filter asks with the exact count, shows progress
 * while the job runs, stops on Abort, runs again to the end, leaves tasks outside the filter alone,
 * and both ends appear in the Activity view.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { tempDir } from '../helpers.ts'
import { T, nav, openConsole } from './flows.ts'
import { buildRenderer, launchBrowser, startConsole, watchErrors, type ConsoleHandle } from './harness.ts'

/** Enough that the job is still running when the page clicks Abort (tens of batches of 500). */
const MANY = 40_000

describe('console e2e: bulk actions', () => {
  const tmp = tempDir('swarmage-e2e-bulk-')
  const path = join(tmp.dir, 'queue.db')
  let consoleHandle: ConsoleHandle
  let browser: Browser
  let page: Page
  let errors: string[]
  let queue: Queue

  beforeAll(async () => {
    queue = await openQueue(`sqlite:${path}`)
    for (let i = 0; i < MANY; i += 10_000) {
      await queue.enqueueMany(Array.from({ length: 10_000 }, (_, j) => ({ type: 'bulk', payload: { i: i + j } })))
    }
    // Cancelled: what "retry all" applies to (no drone runs here, so none can fail).
    expect(await queue.bulk('cancel', { type: 'bulk' }, { batchSize: 5000 })).toEqual({ matched: MANY, changed: MANY })
    await queue.enqueueMany(Array.from({ length: 25 }, () => ({ type: 'other', payload: null })))
    await queue.cancel((await queue.list({ type: 'other', limit: 1 }))[0]!.id)
    const staticDir = buildRenderer()
    consoleHandle = await startConsole({ dataDir: join(tmp.dir, 'data'), staticDir })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    errors = watchErrors(page)
    await openConsole(page, consoleHandle.url)
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await consoleHandle?.close()
    await queue?.close()
    tmp.cleanup()
  })

  it('retries all matching with the count first, progress, abort, a second run to the end, and Activity lines', async () => {
    await nav(page, 'connections')
    await page.getByTestId('connection-add').click()
    await page.getByTestId('connection-name').fill('bulk')
    await page.getByTestId('connection-kind-sqlite').click()
    await page.getByTestId('connection-path').fill(path)
    await page.getByTestId('connection-save').click()
    await page.getByTestId('connection-row-bulk').waitFor({ timeout: T })
    await page.getByTestId('connection-select').selectOption((await page.getByTestId('connection-row-bulk').getAttribute('data-id'))!)

    await nav(page, 'tasks')
    await page.getByTestId('tasks-state').selectOption('cancelled')
    await page.getByTestId('tasks-type').fill('bulk')
    await page.locator('[data-testid="task-row"][data-index="0"][data-type="bulk"][data-state="cancelled"]').waitFor({ timeout: T })

    await page.getByTestId('bulk-retry').click()
    const question = page.getByTestId('bulk-question')
    await expect.poll(() => question.getAttribute('data-count'), { timeout: T }).toBe(String(MANY))
    expect(await question.textContent()).toContain(`Retry all ${MANY.toLocaleString('en')} tasks matching state cancelled, type bulk?`)
    await page.getByTestId('bulk-confirm').click()

    // Running: a progress bar that moves, and an abort button.
    await page.locator('[data-testid="bulk-bar"][data-state="running"]').waitFor({ timeout: T })
    await expect.poll(async () => Number(await page.getByTestId('bulk-progress-text').getAttribute('data-changed')), { timeout: T }).toBeGreaterThan(0)
    await page.getByTestId('bulk-abort').click()
    const result = page.getByTestId('bulk-result')
    await result.waitFor({ timeout: T })
    expect(await result.getAttribute('data-state')).toBe('aborted')
    const firstRun = Number(await result.getAttribute('data-changed'))
    expect(firstRun).toBeGreaterThan(0)
    expect(firstRun).toBeLessThan(MANY)
    expect((await queue.stats()).types.bulk).toMatchObject({ queued: firstRun, cancelled: MANY - firstRun })

    // Again, to the end: only what is still cancelled matches now.
    await page.getByTestId('bulk-retry').click()
    await expect.poll(() => question.getAttribute('data-count'), { timeout: T }).toBe(String(MANY - firstRun))
    await page.getByTestId('bulk-confirm').click()
    await expect.poll(() => page.getByTestId('bulk-result').getAttribute('data-state'), { timeout: 120_000 }).toBe('done')
    expect(await page.getByTestId('bulk-result').getAttribute('data-changed')).toBe(String(MANY - firstRun))
    // The list follows: nothing cancelled of this type is left.
    await page.getByTestId('tasks-empty').waitFor({ timeout: T })
    const stats = await queue.stats()
    expect(stats.types.bulk).toMatchObject({ queued: MANY, cancelled: 0 })
    expect(stats.types.other).toMatchObject({ queued: 24, cancelled: 1 })
    await page.getByTestId('bulk-dismiss').click()
    expect(await page.getByTestId('bulk-result').count()).toBe(0)

    await nav(page, 'activity')
    const rows = page.getByTestId('activity-row')
    await expect.poll(async () => (await rows.allTextContents()).filter((t) => t.includes('tasks.bulk')).length, { timeout: T }).toBe(5)
    const text = (await rows.allTextContents()).join('\n')
    expect(text).toMatch(/token 127\.0\.0\.1.*tasks\.bulk\.end.*done: \d+ matched, \d+ retried/)
    expect(text).toMatch(/token 127\.0\.0\.1.*tasks\.bulk\.end.*aborted: /)
    expect(text).toMatch(/tasks\.bulkAbort/)
    expect(errors).toEqual([])
  })
})
