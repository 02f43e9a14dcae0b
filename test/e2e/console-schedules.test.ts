/**
 * The Schedules view in a real browser against the real console service on an SQLite queue: add a
 * schedule (its cron in plain words and the next five runs), pause and resume it, run it now and open
 * the task its last run links to, edit it, remove it.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { T, addSqliteConnection, nav } from './flows.ts'
import { consoleSession } from './session.ts'

describe('console e2e: Schedules', () => {
  const s = consoleSession('swarmage-e2e-sched-', { acceptDialogs: true })

  it('adds, pauses, resumes, runs now, edits and removes a schedule', async () => {
    await addSqliteConnection(s.page, 'sched', join(s.tmp.dir, 'queue.db'))
    await s.page.getByTestId('connection-row-sched').click()

    await nav(s.page, 'schedules')
    await s.page.getByTestId('schedule-name').fill('nightly')
    await s.page.getByTestId('schedule-cron').fill('30 2 * * *')
    await s.page.getByTestId('schedule-type').fill('report')
    await s.page.getByTestId('schedule-timezone').fill('Europe/Berlin')
    await s.page.getByTestId('schedule-payload').fill('{"full":true}')
    await s.page.getByTestId('schedule-save').click()
    const row = s.page.getByTestId('schedule-row-nightly')
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
    await s.page.getByTestId('view-tasks').waitFor({ timeout: T })

    await nav(s.page, 'schedules')
    await s.page.getByTestId('schedule-row-nightly').getByTestId('schedule-edit').click()
    await s.page.getByTestId('schedule-cron').fill('61 * * * *')
    await s.page.getByTestId('schedule-save').click()
    await expect.poll(() => s.page.getByTestId('schedules-error').textContent(), { timeout: T }).toContain('61 * * * *')
    await s.page.getByTestId('schedule-cron').fill('*/15 * * * *')
    await s.page.getByTestId('schedule-save').click()
    await expect.poll(() => s.page.getByTestId('schedule-row-nightly').getByTestId('schedule-description').textContent(), { timeout: T }).toMatch(/15 minutes/)

    await s.page.getByTestId('schedule-row-nightly').getByTestId('schedule-remove').click()
    await s.page.getByTestId('schedules-empty').waitFor({ timeout: T })
    expect(s.errors).toEqual([])
  })
})
