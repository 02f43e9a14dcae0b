/** UI steps shared by the SQLite and PostgreSQL e2e files: each is what an operator would do. */
import { expect } from 'vitest'
import type { Page } from 'playwright-core'
import { FIXTURE_WORKER } from './harness.ts'

export const T = 20_000

export async function openConsole(page: Page, url: string): Promise<void> {
  await page.goto(url)
  await page.locator('[data-testid="link-status"][data-state="open"]').waitFor({ timeout: T })
}

export async function nav(page: Page, view: string): Promise<void> {
  await page.getByTestId(`nav-${view}`).click()
  await page.getByTestId(`view-${view}`).waitFor()
}

/** Opens the Connections view's form for a new connection named `name` of `kind`. */
export async function openConnectionForm(page: Page, name: string, kind: 'sqlite' | 'postgres'): Promise<void> {
  await nav(page, 'connections')
  await page.getByTestId('connection-add').click()
  await page.getByTestId('connection-name').fill(name)
  await page.getByTestId(`connection-kind-${kind}`).click()
}

/** Saves the connection form and returns the new connection's id once its row shows. */
export async function saveConnection(page: Page, name: string): Promise<string> {
  await page.getByTestId('connection-save').click()
  const row = page.getByTestId(`connection-row-${name}`)
  await row.waitFor({ timeout: T })
  return (await row.getAttribute('data-id'))!
}

/** Adds an SQLite connection on the file `path` through the Connections form; returns its id. */
export async function addSqliteConnection(page: Page, name: string, path: string): Promise<string> {
  await openConnectionForm(page, name, 'sqlite')
  await page.getByTestId('connection-path').fill(path)
  return saveConnection(page, name)
}

/** Clicks the connection's Use and waits until the queue menu shows it selected. */
export async function useConnection(page: Page, name: string, id: string): Promise<void> {
  await page.getByTestId(`connection-use-${name}`).click()
  await expect.poll(() => page.getByTestId('connection-select').inputValue()).toBe(id)
}

/** Adds a worker definition for `type` served by the fixture module; returns nothing, asserts the row. */
export async function addWorker(page: Page, type: string, concurrency = 4): Promise<void> {
  await nav(page, 'workers')
  await page.getByTestId('worker-add').click()
  await page.getByTestId('worker-type').fill(type)
  await page.getByTestId('worker-module').fill(FIXTURE_WORKER)
  await page.getByTestId('worker-concurrency').fill(String(concurrency))
  // The config editor validates as you type: a broken JSON disables Save and says where.
  await page.getByTestId('worker-config').fill('{"greeting": ')
  await expect.poll(() => page.getByTestId('worker-config-status').textContent()).toContain('invalid JSON')
  expect(await page.getByTestId('worker-save').isDisabled()).toBe(true)
  await page.getByTestId('worker-config').fill('{"greeting": "hi"}')
  await expect.poll(() => page.getByTestId('worker-config-status').textContent()).toBe('valid JSON (empty: no config)')
  await page.getByTestId('worker-save').click()
  await page.getByTestId(`worker-row-${type}`).waitFor({ timeout: T })
  expect(await page.getByTestId('worker-form').count()).toBe(0)
}

/** Starts a drone on `connectionId` with every worker definition (ticked one by one: the form ticks none); waits until it runs. */
export async function startDrone(page: Page, connectionId: string, name: string): Promise<void> {
  await nav(page, 'drones')
  await page.getByTestId('drone-new').click()
  await page.getByTestId('drone-connection').selectOption(connectionId)
  await page.getByTestId('drone-name').fill(name)
  for (const box of await page.getByTestId('drone-start-form').locator('input[type="checkbox"]').all()) await box.check()
  await page.getByTestId('drone-start').click()
  await page.locator(`[data-testid="drone-${name}"][data-state="running"]`).waitFor({ timeout: 30_000 })
}

/** Enqueues through the Enqueue form and returns the new task's id. */
export async function enqueue(page: Page, type: string, payload: string, opts: { maxAttempts?: number } = {}): Promise<string> {
  await nav(page, 'enqueue')
  await page.getByTestId('enqueue-type').fill(type)
  await page.getByTestId('enqueue-payload').fill(payload)
  await page.getByTestId('enqueue-max-attempts').fill(opts.maxAttempts ? String(opts.maxAttempts) : '')
  const result = page.getByTestId('enqueue-result')
  const before = (await result.count()) > 0 ? await result.getAttribute('data-id') : null
  await page.getByTestId('enqueue-send').click()
  await expect
    .poll(async () => ((await result.count()) > 0 ? result.getAttribute('data-id') : null), { timeout: T })
    .not.toBe(before)
  const id = await page.getByTestId('enqueue-result').getAttribute('data-id')
  expect(id).toBeTruthy()
  return id!
}

/** Opens a task's detail from the Enqueue result link and waits for the given state. */
export async function openTaskFromEnqueue(page: Page, id: string): Promise<void> {
  await page.getByTestId('enqueue-result-open').click()
  await page.locator(`[data-testid="task-detail"][data-id="${id}"]`).waitFor({ timeout: T })
}

export async function waitTaskState(page: Page, id: string, state: string, timeout = 30_000): Promise<void> {
  await page.locator(`[data-testid="task-detail"][data-id="${id}"][data-state="${state}"]`).waitFor({ timeout })
}
