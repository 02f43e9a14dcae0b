/**
 * Hash routes in Chromium (issue #12, "the renderer's data layer"): a link to a failed task opened in
 * a fresh tab shows that task's detail with its error (the token taken out of the address, the route
 * kept), and Back/Forward and the keyboard chords move between views and a task's detail.
 */
import { describe, expect, it } from 'vitest'
import { EMBEDDED_ID } from '../../src/api/service.ts'
import { T, nav } from './flows.ts'
import { FIXTURE_WORKER, watchErrors } from './harness.ts'
import { consoleSession } from './session.ts'

describe('console e2e: routes', () => {
  let failedId = ''
  const s = consoleSession('swarmage-e2e-routes-', {
    started: async (c) => {
      const def = await c.service.call('workers.save', { type: 'routes', module: FIXTURE_WORKER, watch: false })
      await c.service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'drone-routes' })
      const { id } = await c.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'routes', payload: { fail: 'boom from a pasted link' }, options: { maxAttempts: 1 } })
      failedId = id
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
})
