/**
 * The Schedules view in a real browser against the real console service on an SQLite queue: add a
 * schedule (its cron in plain words and the next five runs), pause and resume it, run it now and open
 * the task its last run links to, edit it, remove it.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.ts'
import { T, nav, openConsole } from './flows.ts'
import { buildRenderer, launchBrowser, startConsole, watchErrors, type ConsoleHandle } from './harness.ts'

describe('console e2e: Schedules', () => {
  const tmp = tempDir('swarmage-e2e-sched-')
  let consoleHandle: ConsoleHandle
  let browser: Browser
  let page: Page
  let errors: string[]

  beforeAll(async () => {
    const staticDir = buildRenderer()
    consoleHandle = await startConsole({ dataDir: join(tmp.dir, 'data'), staticDir })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.on('dialog', (d) => void d.accept())
    errors = watchErrors(page)
    await openConsole(page, consoleHandle.url)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await consoleHandle?.close()
    tmp.cleanup()
  })

  it('adds, pauses, resumes, runs now, edits and removes a schedule', async () => {
    await nav(page, 'connections')
    await page.getByTestId('connection-add').click()
    await page.getByTestId('connection-name').fill('sched')
    await page.getByTestId('connection-kind-sqlite').click()
    await page.getByTestId('connection-path').fill(join(tmp.dir, 'queue.db'))
    await page.getByTestId('connection-save').click()
    await page.getByTestId('connection-row-sched').waitFor({ timeout: T })
    await page.getByTestId('connection-row-sched').click()

    await nav(page, 'schedules')
    await page.getByTestId('schedule-name').fill('nightly')
    await page.getByTestId('schedule-cron').fill('30 2 * * *')
    await page.getByTestId('schedule-type').fill('report')
    await page.getByTestId('schedule-timezone').fill('Europe/Berlin')
    await page.getByTestId('schedule-payload').fill('{"full":true}')
    await page.getByTestId('schedule-save').click()
    const row = page.getByTestId('schedule-row-nightly')
    await row.waitFor({ timeout: T })
    expect(await row.getByTestId('schedule-description').textContent()).toMatch(/02:30/)
    expect(await row.getByTestId('schedule-next-runs').locator('div').count()).toBe(5)
    expect(await row.textContent()).toContain('Europe/Berlin')

    await row.getByTestId('schedule-toggle').click()
    await expect.poll(() => row.getByTestId('schedule-paused').textContent(), { timeout: T }).toBe('paused')
    await row.getByTestId('schedule-toggle').click()
    await expect.poll(() => row.getByTestId('schedule-paused').textContent(), { timeout: T }).toBe('no')

    await row.getByTestId('schedule-run').click()
    await row.getByTestId('schedule-last-run').waitFor({ timeout: T })
    await row.getByTestId('schedule-last-run').click()
    await page.getByTestId('view-tasks').waitFor({ timeout: T })

    await nav(page, 'schedules')
    await page.getByTestId('schedule-row-nightly').getByTestId('schedule-edit').click()
    await page.getByTestId('schedule-cron').fill('61 * * * *')
    await page.getByTestId('schedule-save').click()
    await expect.poll(() => page.getByTestId('schedules-error').textContent(), { timeout: T }).toContain('61 * * * *')
    await page.getByTestId('schedule-cron').fill('*/15 * * * *')
    await page.getByTestId('schedule-save').click()
    await expect.poll(() => page.getByTestId('schedule-row-nightly').getByTestId('schedule-description').textContent(), { timeout: T }).toMatch(/15 minutes/)

    await page.getByTestId('schedule-row-nightly').getByTestId('schedule-remove').click()
    await page.getByTestId('schedules-empty').waitFor({ timeout: T })
    expect(errors).toEqual([])
  })
})
