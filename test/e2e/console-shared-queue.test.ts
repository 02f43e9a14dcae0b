/**
 * Issue 16, the operator's journey on a shared PostgreSQL queue (a fresh schema), in Chromium against
 * the real console service started as `swarmage console` is (no --examples): connection by address →
 * test → migrate → use; a worker; a drone (nothing pre-ticked); bulk enqueue of 20; 20 succeeded seen in
 * Tasks and in `swarmage stats`. Along the way: no example definitions, Cluster = Drones right after
 * start, addresses that show the schema, a refused database named as such, no negative durations.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from '../cli/cli.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'
import { T, addWorker, nav, openConsole } from './flows.ts'
import { buildRenderer, launchBrowser, screenshot, startConsole, watchErrors, type ConsoleHandle } from './harness.ts'

const COUNT = 20

describe('console e2e on a shared PostgreSQL queue (issue 16)', () => {
  const tmp = tempDir('swarmage-e2e-shared-')
  const schema = uniqueSchema('e2e_shared')
  const address = pgAddress(schema)
  let consoleHandle: ConsoleHandle
  let browser: Browser
  let page: Page
  let errors: string[]
  let connectionId = ''

  beforeAll(async () => {
    const staticDir = buildRenderer()
    // Started with the service's defaults, as `swarmage console` without --examples starts it.
    consoleHandle = await startConsole({ dataDir: join(tmp.dir, 'data'), staticDir })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' })
    page.on('dialog', (d) => void d.accept())
    errors = watchErrors(page)
    await openConsole(page, consoleHandle.url)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await consoleHandle?.close()
    await dropSchema(schema)
    tmp.cleanup()
  })

  it('offers no example worker definitions without --examples', async () => {
    await nav(page, 'workers')
    await page.getByTestId('workers-empty').waitFor({ timeout: T })
    expect(await page.locator('[data-testid^="worker-example-"]').count()).toBe(0)
  })

  it('adds the connection by address, showing the schema the address uses; tests, migrates, uses it', async () => {
    await nav(page, 'connections')
    await page.getByTestId('connection-add').click()
    await page.getByTestId('connection-name').fill('shared')
    await page.getByTestId('connection-kind-postgres').click()
    await page.getByTestId('connection-address').fill(address)
    // The Schema field says what the address will use, not the placeholder default.
    await expect.poll(() => page.getByTestId('connection-schema-effective').getAttribute('data-schema')).toBe(schema)
    expect(await page.getByTestId('connection-schema').getAttribute('placeholder')).toBe(schema)
    await page.getByTestId('connection-form-test').click()
    await page.getByTestId('connection-form-test-result').waitFor({ timeout: T })
    expect(await page.getByTestId('connection-form-test-result-schema').textContent()).toBe('missing')
    await page.getByTestId('connection-save').click()
    const row = page.getByTestId('connection-row-shared')
    await row.waitFor({ timeout: T })
    connectionId = (await row.getAttribute('data-id'))!
    expect(await page.getByTestId('connection-schema-shared').textContent()).toBe(schema)
    await page.getByTestId('connection-migrate-shared').click()
    await page.getByTestId('connection-migrated-shared').waitFor({ timeout: T })
    await page.getByTestId('connection-use-shared').click()
    await expect.poll(() => page.getByTestId('connection-select').inputValue()).toBe(connectionId)
    // The queue menu tells connections apart by host, database and schema.
    const option = page.getByTestId('connection-select').locator(`option[value="${connectionId}"]`)
    expect(await option.textContent()).toContain(`schema ${schema}`)
  })

  it('names a refused database as such, with the masked address, not as a console failure', async () => {
    await nav(page, 'connections')
    await page.getByTestId('connection-add').click()
    await page.getByTestId('connection-name').fill('down')
    await page.getByTestId('connection-kind-postgres').click()
    await page.getByTestId('connection-address').fill('postgres://postgres:sekret@127.0.0.1:1/test?schema=s16')
    await page.getByTestId('connection-save').click()
    await page.getByTestId('connection-row-down').waitFor({ timeout: T })
    await page.getByTestId('connection-migrate-down').click()
    const box = page.getByTestId('connection-error-down')
    await box.waitFor({ timeout: T })
    expect(await box.getAttribute('data-code')).toBe('connection')
    const text = (await box.textContent())!
    expect(text).toContain('the connection was refused')
    expect(text).toContain('postgres://postgres:***@127.0.0.1:1/test?schema=s16')
    expect(text).not.toContain('sekret')
    expect(text).not.toContain('server failed')
    await screenshot(page, 'connections-shared-queue')
    await page.getByTestId('connection-remove-down').click()
    await page.getByTestId('connection-row-down').waitFor({ state: 'detached', timeout: T })
  })

  it('starts a drone with nothing pre-ticked, and Cluster shows what Drones shows at once', async () => {
    await addWorker(page, 'echo', 4)
    await nav(page, 'drones')
    await page.getByTestId('drone-new').click()
    await page.getByTestId('drone-connection').selectOption(connectionId)
    const box = page.getByTestId('drone-worker-echo')
    expect(await box.isChecked()).toBe(false)
    expect(await page.getByTestId('drone-start').isDisabled()).toBe(true)
    await expect.poll(() => page.getByTestId('drone-worker-served-echo').textContent(), { timeout: T }).toBe('no other drone serves it')
    await screenshot(page, 'drone-start-shared-queue')
    await box.check()
    await page.getByTestId('drone-name').fill('shared-1')
    await page.getByTestId('drone-start').click()
    const card = page.locator('[data-testid="drone-shared-1"][data-state="running"]')
    await card.waitFor({ timeout: 30_000 })
    const signals = await card.getByTestId('drone-signals').textContent()
    const startedAt = await card.getByTestId('drone-started').getAttribute('data-at')
    await nav(page, 'cluster')
    const row = page.getByTestId('cluster-drone-shared-1')
    // Cluster reads the registry row on opening: it must already say what the card says.
    await row.waitFor({ timeout: 2_000 })
    expect(await row.getByTestId('cluster-drone-state').textContent()).toBe('running')
    expect(await row.getByTestId('cluster-drone-signals').textContent()).toBe(signals)
    expect(await row.getByTestId('cluster-drone-started').getAttribute('data-at')).toBe(startedAt)
  })

  it(`enqueues ${COUNT} tasks at once from the Enqueue view, refusing a bad NDJSON line before storing anything`, async () => {
    await nav(page, 'enqueue')
    expect(await page.getByTestId('enqueue-type').inputValue()).toBe('')
    const suggested = await page.getByTestId('enqueue-type-suggestions').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
    expect(suggested).toContain('echo')
    // A file with a bad second line: named, and nothing enqueued.
    await page.getByTestId('bulk-mode-file').check()
    await page.getByTestId('bulk-file').setInputFiles({ name: 'bad.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"type":"echo","payload":{"n":1}}\n{"type":"echo", oops}\n') })
    await page.getByTestId('bulk-send').click()
    await page.getByTestId('bulk-error').waitFor({ timeout: T })
    expect(await page.getByTestId('bulk-error-message').textContent()).toMatch(/^line 2: /)
    // The count and template.
    await page.getByTestId('bulk-mode-template').check()
    await page.getByTestId('bulk-type').fill('echo')
    await page.getByTestId('bulk-count').fill(String(COUNT))
    await page.getByTestId('bulk-template').fill('{"n": {{i}}}')
    await page.getByTestId('bulk-send').click()
    await page.locator(`[data-testid="bulk-result"][data-count="${COUNT}"]`).waitFor({ timeout: T })
    await screenshot(page, 'enqueue-bulk')
  })

  it(`sees ${COUNT} succeeded in Tasks and in swarmage stats`, async () => {
    await nav(page, 'tasks')
    await page.getByTestId('tasks-type').fill('echo')
    await page.getByTestId('tasks-state').selectOption('succeeded')
    await expect.poll(async () => Number(await page.getByTestId('tasks-table').getAttribute('data-count')), { timeout: 60_000 }).toBe(COUNT)
    const stats = await cli(['stats', '--queue', address, '--json'], { cwd: tmp.dir })
    expect(stats.code, stats.stderr).toBe(0)
    const parsed = JSON.parse(stats.stdout) as { types: Record<string, { succeeded: number; queued: number }> }
    expect(parsed.types.echo).toMatchObject({ succeeded: COUNT, queued: 0 })
    // A task's detail: labelled durations, none negative.
    await page.locator('[data-testid="task-row"]').first().click()
    const durations = page.getByTestId('task-durations')
    await durations.waitFor({ timeout: T })
    expect(await durations.textContent()).toMatch(/^(run \d[\d.]* (ms|s|min) · )?wait \d[\d.]* (ms|s|min) · total \d[\d.]* (ms|s|min)$/)
    for (const took of await page.getByTestId('task-attempt-took').allTextContents()) expect(took).not.toContain('-')
  })

  it('shows no negative duration in Flow, every one labelled, and charts from the first event', async () => {
    await nav(page, 'flow')
    await expect.poll(async () => (await page.getByTestId('flow-event-duration').allTextContents()).length, { timeout: T }).toBeGreaterThan(0)
    for (const d of await page.getByTestId('flow-event-duration').allTextContents()) expect(d.trim()).toMatch(/^(run|wait) \d[\d.]* (ms|s|min)$/)
    // The run began seconds ago: the chart spans a minute from its first event, not 15 empty minutes.
    expect(Number(await page.getByTestId('chart-spans').getAttribute('data-seconds'))).toBeLessThan(900)
    await page.getByTestId('chart-span-3600').click()
    expect(await page.getByTestId('chart-span-3600').getAttribute('aria-pressed')).toBe('true')
    await screenshot(page, 'flow-shared-queue')
    expect(errors).toEqual([])
  })
})
