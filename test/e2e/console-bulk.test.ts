/**
 * Bulk actions in the Tasks view, in a real browser against the real console service on an SQLite
 * queue (issue #14): "Retry all…" with the current filter asks with the exact count, shows progress
 * while the job runs, stops on Abort, runs again to the end, leaves tasks outside the filter alone,
 * and both ends appear in the Activity view.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { T, addSqliteConnection, nav } from './flows.ts'
import { consoleSession } from './session.ts'

/** Enough that the job is still running when the page clicks Abort (tens of batches of 500). */
const MANY = 40_000

describe('console e2e: bulk actions', () => {
  let queue: Queue
  const s = consoleSession('swarmage-e2e-bulk-', {
    timeout: 180_000,
    prepare: async () => {
      queue = await openQueue(`sqlite:${path}`)
      for (let i = 0; i < MANY; i += 10_000) {
        await queue.enqueueMany(Array.from({ length: 10_000 }, (_, j) => ({ type: 'bulk', payload: { i: i + j } })))
      }
      // Cancelled: what "retry all" applies to (no drone runs here, so none can fail).
      expect(await queue.bulk('cancel', { type: 'bulk' }, { batchSize: 5000 })).toEqual({ matched: MANY, changed: MANY })
      await queue.enqueueMany(Array.from({ length: 25 }, () => ({ type: 'other', payload: null })))
      await queue.cancel((await queue.list({ type: 'other', limit: 1 }))[0]!.id)
    },
    closed: async () => {
      await queue?.close()
    },
  })
  const path = join(s.tmp.dir, 'queue.db')

  it('retries all matching with the count first, progress, abort, a second run to the end, and Activity lines', async () => {
    await s.page.getByTestId('connection-select').selectOption(await addSqliteConnection(s.page, 'bulk', path))

    await nav(s.page, 'tasks')
    await s.page.getByTestId('tasks-state').selectOption('cancelled')
    await s.page.getByTestId('tasks-type').fill('bulk')
    await s.page.locator('[data-testid="task-row"][data-index="0"][data-type="bulk"][data-state="cancelled"]').waitFor({ timeout: T })

    await s.page.getByTestId('bulk-retry').click()
    const question = s.page.getByTestId('bulk-question')
    await expect.poll(() => question.getAttribute('data-count'), { timeout: T }).toBe(String(MANY))
    expect(await question.textContent()).toContain(`Retry all ${MANY.toLocaleString('en')} tasks matching state cancelled, type bulk?`)
    await s.page.getByTestId('bulk-confirm').click()

    // Running: a progress bar that moves, and an abort button.
    await s.page.locator('[data-testid="bulk-bar"][data-state="running"]').waitFor({ timeout: T })
    await expect.poll(async () => Number(await s.page.getByTestId('bulk-progress-text').getAttribute('data-changed')), { timeout: T }).toBeGreaterThan(0)
    await s.page.getByTestId('bulk-abort').click()
    const result = s.page.getByTestId('bulk-result')
    await result.waitFor({ timeout: T })
    expect(await result.getAttribute('data-state')).toBe('aborted')
    const firstRun = Number(await result.getAttribute('data-changed'))
    expect(firstRun).toBeGreaterThan(0)
    expect(firstRun).toBeLessThan(MANY)
    expect((await queue.stats()).types.bulk).toMatchObject({ queued: firstRun, cancelled: MANY - firstRun })

    // Again, to the end: only what is still cancelled matches now.
    await s.page.getByTestId('bulk-retry').click()
    await expect.poll(() => question.getAttribute('data-count'), { timeout: T }).toBe(String(MANY - firstRun))
    await s.page.getByTestId('bulk-confirm').click()
    await expect.poll(() => s.page.getByTestId('bulk-result').getAttribute('data-state'), { timeout: 120_000 }).toBe('done')
    expect(await s.page.getByTestId('bulk-result').getAttribute('data-changed')).toBe(String(MANY - firstRun))
    // The list follows: nothing cancelled of this type is left.
    await s.page.getByTestId('tasks-empty').waitFor({ timeout: T })
    const stats = await queue.stats()
    expect(stats.types.bulk).toMatchObject({ queued: MANY, cancelled: 0 })
    expect(stats.types.other).toMatchObject({ queued: 24, cancelled: 1 })
    await s.page.getByTestId('bulk-dismiss').click()
    expect(await s.page.getByTestId('bulk-result').count()).toBe(0)

    await nav(s.page, 'activity')
    const rows = s.page.getByTestId('activity-row')
    await expect.poll(async () => (await rows.allTextContents()).filter((t) => t.includes('tasks.bulk')).length, { timeout: T }).toBe(5)
    const text = (await rows.allTextContents()).join('\n')
    expect(text).toMatch(/token 127\.0\.0\.1.*tasks\.bulk\.end.*done: \d+ matched, \d+ retried/)
    expect(text).toMatch(/token 127\.0\.0\.1.*tasks\.bulk\.end.*aborted: /)
    expect(text).toMatch(/tasks\.bulkAbort/)
    expect(s.errors).toEqual([])
  })
})
