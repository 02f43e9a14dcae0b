/**
 * Hash routes in Chromium (issue #12, "the renderer's data layer"): a link to a failed task opened in
 * a fresh tab shows that task's detail with its error (the token taken out of the address, the route
 * kept), Back/Forward and the keyboard chords move between views and a task's detail, and the Tasks
 * view's filters live in the address (`#/tasks?state=failed&connection=C`): reload, Back and a pasted
 * link in a fresh browser all show the same filtered rows.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { EMBEDDED_ID } from '../../src/api/service.ts'
import { T, nav } from './flows.ts'
import { FIXTURE_WORKER, watchErrors } from './harness.ts'
import { consoleSession } from './session.ts'

describe('console e2e: routes', () => {
  let failedId = ''
  let okId = ''
  let queuedId = ''
  const s = consoleSession('swarmage-e2e-routes-', {
    started: async (c) => {
      const def = await c.service.call('workers.save', { type: 'routes', module: FIXTURE_WORKER, watch: false })
      await c.service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'drone-routes' })
      const { id } = await c.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'routes', payload: { fail: 'boom from a pasted link' }, options: { maxAttempts: 1 } })
      failedId = id
      okId = (await c.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'routes', payload: { n: 2 } })).id
      // No worker serves this type: it stays queued.
      queuedId = (await c.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'routes-idle', payload: { n: 3 } })).id
    },
  })

  it("opens a failed task's detail from a link in a fresh tab, and keeps the route once the token is taken out", async () => {
    await expect.poll(async () => (await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id: failedId })).task.state, { timeout: T }).toBe('failed')
    const origin = new URL(s.console.url).origin
    const route = `#/tasks/${failedId}?connection=${EMBEDDED_ID}`
    // A new context: no sessionStorage, no selected connection — what a colleague's browser has.
    const context = await s.browser.newContext({ viewport: { width: 1440, height: 900 } })
    try {
      const page = await context.newPage()
      const errors = watchErrors(page)
      await page.goto(`${origin}/${route}&token=${s.console.server.token}`)
      await page.getByTestId('view-tasks').waitFor({ timeout: T })
      const detail = page.locator(`[data-testid="task-detail"][data-id="${failedId}"][data-state="failed"]`)
      await detail.waitFor({ timeout: T })
      expect(await page.getByTestId('task-error-message').textContent()).toBe('boom from a pasted link')
      expect(new URL(page.url()).hash).toBe(route)
      // The detail's own link is the same address, without the token (safe to paste).
      expect(await page.getByTestId('task-link').getAttribute('href')).toBe(route)
      // A reload (same tab: the token is in sessionStorage) lands on the same task.
      await page.reload()
      await detail.waitFor({ timeout: T })
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('goes Back and Forward through views and a task, and the keyboard chords navigate through the router', async () => {
    const page = s.page
    const hash = () => new URL(page.url()).hash
    await nav(page, 'drones')
    expect(hash()).toBe('#/drones')
    await nav(page, 'tasks')
    expect(hash()).toBe('#/tasks')
    const row = page.locator(`[data-testid="task-row"][data-id="${failedId}"]`)
    await row.waitFor({ timeout: T })
    await row.click()
    await page.locator(`[data-testid="task-detail"][data-id="${failedId}"]`).waitFor({ timeout: T })
    expect(hash()).toBe(`#/tasks/${failedId}?connection=${EMBEDDED_ID}`)

    await page.goBack()
    await expect.poll(() => page.getByTestId('task-detail').count(), { timeout: T }).toBe(0)
    expect(hash()).toBe('#/tasks')
    await page.goBack()
    await page.getByTestId('view-drones').waitFor({ timeout: T })
    await page.goForward()
    await page.getByTestId('view-tasks').waitFor({ timeout: T })
    await page.goForward()
    await page.locator(`[data-testid="task-detail"][data-id="${failedId}"]`).waitFor({ timeout: T })

    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('g')
    await page.keyboard.press('a')
    await page.getByTestId('view-activity').waitFor({ timeout: T })
    expect(hash()).toBe('#/activity')
    await page.goBack()
    await page.locator(`[data-testid="task-detail"][data-id="${failedId}"]`).waitFor({ timeout: T })
    expect(s.errors).toEqual([])
  })

  /** The ids of the rows listed, sorted (the table is small: every row is rendered). */
  const listed = (page: Page) => page.locator('[data-testid="task-row"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id ?? '').sort())
  const only = (...ids: string[]) => [...ids].sort()

  it('keeps the filters in the address: reload keeps the filtered rows, Back restores the previous filter, opening a task keeps them', async () => {
    const page = s.page
    const hash = () => new URL(page.url()).hash
    await expect.poll(async () => (await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id: okId })).task.state, { timeout: T }).toBe('succeeded')
    await nav(page, 'tasks')
    // The previous test left a task open: closing it shows the whole list.
    await page.getByTestId('task-detail-close').click()
    expect(hash()).toBe('#/tasks')
    await expect.poll(() => listed(page), { timeout: T }).toEqual(only(failedId, okId, queuedId))

    await page.getByTestId('tasks-state').selectOption('failed')
    const failedList = `#/tasks?state=failed&connection=${EMBEDDED_ID}`
    await expect.poll(hash, { timeout: T }).toBe(failedList)
    await expect.poll(() => listed(page), { timeout: T }).toEqual(only(failedId))

    await page.reload()
    await page.getByTestId('view-tasks').waitFor({ timeout: T })
    expect(await page.getByTestId('tasks-state').inputValue()).toBe('failed')
    await expect.poll(() => listed(page), { timeout: T }).toEqual(only(failedId))
    expect(hash()).toBe(failedList)

    await page.getByTestId('tasks-state').selectOption('succeeded')
    await expect.poll(hash, { timeout: T }).toBe(`#/tasks?state=succeeded&connection=${EMBEDDED_ID}`)
    await expect.poll(() => listed(page), { timeout: T }).toEqual(only(okId))
    await page.goBack()
    await expect.poll(hash, { timeout: T }).toBe(failedList)
    await expect.poll(() => page.getByTestId('tasks-state').inputValue(), { timeout: T }).toBe('failed')
    await expect.poll(() => listed(page), { timeout: T }).toEqual(only(failedId))

    // Typed text is written after the debounce, as one history entry per burst of typing (each pause
    // rewrites it): Back after "no…", a pause, "…thing matches this" returns to before the search.
    await page.getByTestId('tasks-search').fill('no')
    await expect.poll(hash, { timeout: T }).toBe(`#/tasks?state=failed&q=no&connection=${EMBEDDED_ID}`)
    await page.getByTestId('tasks-search').fill('nothing matches this')
    await expect.poll(hash, { timeout: T }).toBe(`#/tasks?state=failed&q=nothing%20matches%20this&connection=${EMBEDDED_ID}`)
    await page.getByTestId('tasks-empty').waitFor({ timeout: T })
    await page.goBack()
    await expect.poll(hash, { timeout: T }).toBe(failedList)
    await expect.poll(() => page.getByTestId('tasks-search').inputValue(), { timeout: T }).toBe('')
    await expect.poll(() => listed(page), { timeout: T }).toEqual(only(failedId))

    // A task opened from the filtered list keeps the filters in its address; its own link is the task alone.
    await page.locator(`[data-testid="task-row"][data-id="${failedId}"]`).click()
    await page.locator(`[data-testid="task-detail"][data-id="${failedId}"]`).waitFor({ timeout: T })
    expect(hash()).toBe(`#/tasks/${failedId}?state=failed&connection=${EMBEDDED_ID}`)
    expect(await page.getByTestId('task-link').getAttribute('href')).toBe(`#/tasks/${failedId}?connection=${EMBEDDED_ID}`)
    await page.getByTestId('task-detail-close').click()
    expect(hash()).toBe(failedList)
    expect(await listed(page)).toEqual(only(failedId))

    // Another view and back (`g t`): the list as it was left.
    await nav(page, 'flow')
    await nav(page, 'tasks')
    expect(hash()).toBe(failedList)
    await expect.poll(() => listed(page), { timeout: T }).toEqual(only(failedId))
    expect(s.errors).toEqual([])
  })

  it('a pasted filtered link in a fresh browser shows only the matching rows, and an unknown state is ignored', async () => {
    const origin = new URL(s.console.url).origin
    const context = await s.browser.newContext({ viewport: { width: 1440, height: 900 } })
    try {
      const page = await context.newPage()
      const errors = watchErrors(page)
      const link = `#/tasks?state=succeeded&type=routes&connection=${EMBEDDED_ID}`
      await page.goto(`${origin}/${link}&token=${s.console.server.token}`)
      await page.getByTestId('view-tasks').waitFor({ timeout: T })
      await expect.poll(() => listed(page), { timeout: T }).toEqual(only(okId))
      expect(new URL(page.url()).hash).toBe(link)
      expect(await page.getByTestId('tasks-state').inputValue()).toBe('succeeded')
      expect(await page.getByTestId('tasks-type').inputValue()).toBe('routes')

      // Pasted over the open page: a state the queue has no such thing as filters nothing; the type still applies.
      await page.goto(`${origin}/#/tasks?state=exploded&type=routes&connection=${EMBEDDED_ID}`)
      await expect.poll(() => listed(page), { timeout: T }).toEqual(only(failedId, okId))
      expect(await page.getByTestId('tasks-state').inputValue()).toBe('')
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  })
})
