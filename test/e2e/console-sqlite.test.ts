/**
 * The operator's whole path on an SQLite queue, in a real browser against the real console service:
 * add a connection, a worker definition and a drone; enqueue from the form; watch the task finish in
 * Tasks and Flow; read a failed task's error and stack, retry it; cancel a running task; keyboard
 * navigation; a screenshot of every view (test-results/screenshots/<view>.png).
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { T, addSqliteConnection, addWorker, enqueue, nav, openTaskFromEnqueue, startDrone, useConnection, waitTaskState } from './flows.ts'
import { screenshot } from './harness.ts'
import { consoleSession } from './session.ts'

describe('console e2e on SQLite', () => {
  const s = consoleSession('swarmage-e2e-sqlite-', { colorScheme: 'dark', acceptDialogs: true })
  let connectionId = ''

  it('shows empty states that say what to do next', async () => {
    await nav(s.page, 'workers')
    expect(await s.page.getByTestId('workers-empty').textContent()).toContain('Add worker')
    await nav(s.page, 'drones')
    expect(await s.page.getByTestId('drones-empty').textContent()).toContain('Workers')
    await nav(s.page, 'flow')
    expect(await s.page.getByTestId('flow-empty').textContent()).toContain('Drones')
  })

  it('adds and tests an SQLite connection, and selects it', async () => {
    connectionId = await addSqliteConnection(s.page, 'e2e-sqlite', join(s.tmp.dir, 'queue.db'))
    await s.page.getByTestId('connection-test-btn-e2e-sqlite').click()
    const result = s.page.getByTestId('connection-test-e2e-sqlite')
    await result.waitFor({ timeout: T })
    expect(await result.getAttribute('data-ok')).toBe('true')
    expect(await s.page.getByTestId('connection-test-e2e-sqlite-version').textContent()).toMatch(/\d+\.\d+/)
    await useConnection(s.page, 'e2e-sqlite', connectionId)
    await screenshot(s.page, 'connections')
  })

  it('refuses a bad connection with the reason', async () => {
    await s.page.getByTestId('connection-add').click()
    await s.page.getByTestId('connection-name').fill('broken')
    await s.page.getByTestId('connection-kind-postgres').click()
    await s.page.getByTestId('connection-address').fill('postgres://nobody@127.0.0.1:1/none')
    await s.page.getByTestId('connection-form-test').click()
    const r = s.page.getByTestId('connection-form-test-result')
    await r.waitFor({ timeout: T })
    expect(await r.getAttribute('data-ok')).toBe('false')
    expect((await s.page.getByTestId('connection-form-test-result-error').textContent())!.length).toBeGreaterThan(5)
    await s.page.getByTestId('connection-cancel').click()
  })

  it('adds a worker definition and starts a drone with real worker processes', async () => {
    await addWorker(s.page, 'e2e')
    await startDrone(s.page, connectionId, 'drone-sqlite')
    await nav(s.page, 'workers')
    const proc = s.page.locator('[data-testid^="process-row-"][data-type="e2e"]').first()
    await proc.waitFor({ timeout: T })
    await expect.poll(async () => Number(await proc.getByTestId('process-pid').textContent()), { timeout: T }).toBeGreaterThan(0)
    await screenshot(s.page, 'workers')
    await nav(s.page, 'drones')
    await screenshot(s.page, 'drones')
  })

  it('enqueues from the form and watches the task succeed in Tasks and in Flow', async () => {
    const id = await enqueue(s.page, 'e2e', '{"n": 21}')
    await screenshot(s.page, 'enqueue')
    await openTaskFromEnqueue(s.page, id)
    await waitTaskState(s.page, id, 'succeeded')
    expect(await s.page.getByTestId('task-result').textContent()).toContain('42')
    expect(await s.page.getByTestId('task-logs').textContent()).toContain('e2e worker got the task')
    // The list shows it too, with its state.
    await s.page.locator(`[data-testid="task-row"][data-id="${id}"][data-state="succeeded"]`).waitFor({ timeout: T })
    await nav(s.page, 'flow')
    await s.page.getByTestId('flow-drone-drone-sqlite').waitFor()
    await expect.poll(async () => Number(await s.page.getByTestId('flow-succeeded-total').textContent()), { timeout: T }).toBeGreaterThanOrEqual(1)
    await expect.poll(async () => Number(await s.page.getByTestId('flow-type-succeeded-total').first().textContent()), { timeout: T }).toBeGreaterThanOrEqual(1)
  })

  it('shows a failed task with its error and stack, and retries it', async () => {
    const id = await enqueue(s.page, 'e2e', '{"fail": "boom from e2e"}', { maxAttempts: 1 })
    await openTaskFromEnqueue(s.page, id)
    await waitTaskState(s.page, id, 'failed')
    expect(await s.page.getByTestId('task-error-message').textContent()).toBe('boom from e2e')
    expect(await s.page.getByTestId('task-error-stack').textContent()).toContain('explode')
    expect(await s.page.getByTestId('task-attempts').locator('tbody tr').count()).toBe(1)
    await nav(s.page, 'flow')
    await expect.poll(async () => Number(await s.page.getByTestId('flow-failed-total').textContent()), { timeout: T }).toBeGreaterThanOrEqual(1)
    expect(await s.page.getByTestId('flow-edge-failed').getAttribute('class')).toContain('edge')
    await screenshot(s.page, 'flow')
    await nav(s.page, 'tasks')
    await s.page.locator(`[data-testid="task-row"][data-id="${id}"]`).click()
    await waitTaskState(s.page, id, 'failed')
    await s.page.getByTestId('task-retry').click()
    // Retried: queued again with fresh attempts, it runs and fails again: a second attempt is recorded.
    await expect.poll(async () => s.page.getByTestId('task-attempts').locator('tbody tr').count(), { timeout: 30_000 }).toBe(2)
    await waitTaskState(s.page, id, 'failed')
    await screenshot(s.page, 'tasks')
  })

  it('cancels a running task', async () => {
    const id = await enqueue(s.page, 'e2e', '{"holdMs": 60000}')
    await openTaskFromEnqueue(s.page, id)
    await waitTaskState(s.page, id, 'running')
    await s.page.getByTestId('task-progress').waitFor()
    await s.page.getByTestId('task-cancel').click()
    await waitTaskState(s.page, id, 'cancelled')
    expect(await s.page.getByTestId('task-cancel').isDisabled()).toBe(true)
  })

  it('enqueues an edited copy of a task', async () => {
    const id = await enqueue(s.page, 'e2e', '{"n": 1}')
    await openTaskFromEnqueue(s.page, id)
    await waitTaskState(s.page, id, 'succeeded')
    await s.page.getByTestId('task-copy-toggle').click()
    await s.page.getByTestId('task-copy-payload').fill('{"n": 50}')
    await s.page.getByTestId('task-copy-send').click()
    await s.page.getByTestId('task-copy-result').waitFor({ timeout: T })
    await s.page.getByTestId('task-copy-result').locator('button').click()
    const copyId = await s.page.getByTestId('task-detail').getAttribute('data-id')
    expect(copyId).not.toBe(id)
    await waitTaskState(s.page, copyId!, 'succeeded')
    expect(await s.page.getByTestId('task-result').textContent()).toContain('100')
  })

  it('filters tasks by state, and moves with the keyboard', async () => {
    await nav(s.page, 'tasks')
    await s.page.getByTestId('task-detail-close').click()
    await s.page.getByTestId('tasks-state').selectOption('failed')
    await expect.poll(async () => s.page.locator('[data-testid="task-row"]').count(), { timeout: T }).toBe(1)
    expect(await s.page.locator('[data-testid="task-row"]').first().getAttribute('data-state')).toBe('failed')
    await s.page.getByTestId('tasks-state').selectOption('')
    await expect.poll(async () => s.page.locator('[data-testid="task-row"]').count(), { timeout: T }).toBeGreaterThanOrEqual(5)
    await s.page.locator('body').click({ position: { x: 5, y: 5 } })
    await s.page.keyboard.press('j')
    await s.page.keyboard.press('j')
    await s.page.keyboard.press('Enter')
    const second = await s.page.locator('[data-testid="task-row"][data-index="1"]').getAttribute('data-id')
    await s.page.locator(`[data-testid="task-detail"][data-id="${second}"]`).waitFor()
    await s.page.keyboard.press('Escape')
    await expect.poll(() => s.page.getByTestId('task-detail').count()).toBe(0)
    await s.page.keyboard.press('g')
    await s.page.keyboard.press('k')
    await s.page.getByTestId('view-cluster').waitFor()
    await s.page.keyboard.press('5')
    await s.page.getByTestId('view-tasks').waitFor()
  })

  it('shows the cluster: the drone on the queue and counts per type and state', async () => {
    await nav(s.page, 'cluster')
    await s.page.getByTestId('cluster-drone-drone-sqlite').waitFor({ timeout: T })
    expect(await s.page.getByTestId('cluster-drone-drone-sqlite').getByTestId('cluster-drone-in-hand').textContent()).toMatch(/^\d+$/)
    await expect.poll(async () => Number(await s.page.getByTestId('cluster-e2e-succeeded').textContent()), { timeout: T }).toBeGreaterThanOrEqual(2)
    expect(Number(await s.page.getByTestId('cluster-e2e-failed').textContent())).toBe(1)
    expect(Number(await s.page.getByTestId('cluster-e2e-cancelled').textContent())).toBe(1)
    await screenshot(s.page, 'cluster')
  })

  it('restarts a worker process, then again with the inspector on, showing its DevTools address', async () => {
    await nav(s.page, 'workers')
    const proc = s.page.locator('[data-testid^="process-row-"][data-type="e2e"]').first()
    const pid = Number(await proc.getByTestId('process-pid').textContent())
    await proc.getByTestId('process-restart').click()
    await expect.poll(async () => Number(await s.page.locator('[data-testid^="process-row-"][data-type="e2e"]').first().getByTestId('process-pid').textContent()), { timeout: 30_000 }).not.toBe(pid)
    await s.page.locator('[data-testid^="process-row-"][data-type="e2e"]').first().getByTestId('process-debug').click()
    await s.page.getByTestId('inspect-url').first().waitFor({ timeout: 30_000 })
    expect(await s.page.getByTestId('inspect-url').first().textContent()).toMatch(/127\.0\.0\.1:\d+|localhost:\d+|ws:\/\//)
  })

  it('sends demo tasks, and switches the theme', async () => {
    await nav(s.page, 'enqueue')
    await s.page.getByTestId('demo-count').fill('10')
    await s.page.getByTestId('demo-send').click()
    await s.page.getByTestId('demo-result').waitFor({ timeout: T })
    expect(await s.page.getByTestId('demo-result').textContent()).toBe('10 tasks enqueued')
    await s.page.getByTestId('theme-select').selectOption('light')
    expect(await s.page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')
    const bg = await s.page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(bg).toBe('rgb(247, 248, 250)')
    await s.page.getByTestId('theme-select').selectOption('system')
  })

  it('stops the drone by draining it, and the page logged no errors', async () => {
    await nav(s.page, 'drones')
    await s.page.getByTestId('drone-drain').click()
    // A stopped drone stays, under Stopped, with its last figures, until dismissed (issue #14).
    const card = s.page.locator('[data-testid="drone-drone-sqlite"][data-state="stopped"]')
    await card.waitFor({ timeout: 30_000 })
    expect(Number(await card.getByTestId('drone-type-done').first().textContent())).toBeGreaterThan(0)
    expect(await card.getByTestId('drone-drain').count()).toBe(0)
    await card.getByTestId('drone-dismiss').click()
    // Dismissed: the empty state says how to start another.
    await s.page.getByTestId('drones-empty').waitFor({ timeout: 30_000 })
    expect(await s.page.getByTestId('drone-drone-sqlite').count()).toBe(0)
    expect(s.errors).toEqual([])
  })
})
