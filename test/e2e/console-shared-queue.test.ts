/**
 * Issue 16, the operator's journey on a shared PostgreSQL queue (a fresh schema), in Chromium against
 * the real console service started as `swarmage console` is (no --examples): connection by address →
 * test → migrate → use; a worker; a drone (nothing pre-ticked); bulk enqueue of 20; 20 succeeded seen in
 * Tasks and in `swarmage stats`. Along the way: no example definitions, Cluster = Drones right after
 * start, addresses that show the schema, a refused database named as such, no negative durations.
 */
import { describe, expect, it } from 'vitest'
import { cli } from '../cli/cli.ts'
import { dropSchema, pgAddress, uniqueSchema } from '../helpers.ts'
import { T, addWorker, nav, openConnectionForm, saveConnection, useConnection } from './flows.ts'
import { screenshot } from './harness.ts'
import { consoleSession } from './session.ts'

const COUNT = 20

describe('console e2e on a shared PostgreSQL queue (issue 16)', () => {
  const schema = uniqueSchema('e2e_shared')
  const address = pgAddress(schema)
  // Started with the service's defaults, as `swarmage console` without --examples starts it.
  const s = consoleSession('swarmage-e2e-shared-', { colorScheme: 'light', acceptDialogs: true, closed: () => dropSchema(schema) })
  let connectionId = ''

  it('offers no example worker definitions without --examples', async () => {
    await nav(s.page, 'workers')
    await s.page.getByTestId('workers-empty').waitFor({ timeout: T })
    expect(await s.page.locator('[data-testid^="worker-example-"]').count()).toBe(0)
  })

  it('adds the connection by address, showing the schema the address uses; tests, migrates, uses it', async () => {
    await openConnectionForm(s.page, 'shared', 'postgres')
    await s.page.getByTestId('connection-address').fill(address)
    // The Schema field says what the address will use, not the placeholder default.
    await expect.poll(() => s.page.getByTestId('connection-schema-effective').getAttribute('data-schema')).toBe(schema)
    expect(await s.page.getByTestId('connection-schema').getAttribute('placeholder')).toBe(schema)
    await s.page.getByTestId('connection-form-test').click()
    await s.page.getByTestId('connection-form-test-result').waitFor({ timeout: T })
    expect(await s.page.getByTestId('connection-form-test-result-schema').textContent()).toBe('missing')
    connectionId = await saveConnection(s.page, 'shared')
    expect(await s.page.getByTestId('connection-schema-shared').textContent()).toBe(schema)
    await s.page.getByTestId('connection-migrate-shared').click()
    await s.page.getByTestId('connection-migrated-shared').waitFor({ timeout: T })
    await useConnection(s.page, 'shared', connectionId)
    // The queue menu tells connections apart by host, database and schema.
    const option = s.page.getByTestId('connection-select').locator(`option[value="${connectionId}"]`)
    expect(await option.textContent()).toContain(`schema ${schema}`)
  })

  it('names a refused database as such, with the masked address, not as a console failure', async () => {
    await nav(s.page, 'connections')
    await s.page.getByTestId('connection-add').click()
    await s.page.getByTestId('connection-name').fill('down')
    await s.page.getByTestId('connection-kind-postgres').click()
    await s.page.getByTestId('connection-address').fill('postgres://postgres:sekret@127.0.0.1:1/test?schema=s16')
    await s.page.getByTestId('connection-save').click()
    await s.page.getByTestId('connection-row-down').waitFor({ timeout: T })
    await s.page.getByTestId('connection-migrate-down').click()
    const box = s.page.getByTestId('connection-error-down')
    await box.waitFor({ timeout: T })
    expect(await box.getAttribute('data-code')).toBe('connection')
    const text = (await box.textContent())!
    expect(text).toContain('the connection was refused')
    expect(text).toContain('postgres://postgres:***@127.0.0.1:1/test?schema=s16')
    expect(text).not.toContain('sekret')
    expect(text).not.toContain('server failed')
    await screenshot(s.page, 'connections-shared-queue')
    await s.page.getByTestId('connection-remove-down').click()
    await s.page.getByTestId('connection-row-down').waitFor({ state: 'detached', timeout: T })
  })

  it('starts a drone with nothing pre-ticked, and Cluster shows what Drones shows at once', async () => {
    await addWorker(s.page, 'echo', 4)
    await nav(s.page, 'drones')
    await s.page.getByTestId('drone-new').click()
    await s.page.getByTestId('drone-connection').selectOption(connectionId)
    const box = s.page.getByTestId('drone-worker-echo')
    expect(await box.isChecked()).toBe(false)
    expect(await s.page.getByTestId('drone-start').isDisabled()).toBe(true)
    await expect.poll(() => s.page.getByTestId('drone-worker-served-echo').textContent(), { timeout: T }).toBe('no other drone serves it')
    await screenshot(s.page, 'drone-start-shared-queue')
    await box.check()
    await s.page.getByTestId('drone-name').fill('shared-1')
    await s.page.getByTestId('drone-start').click()
    const card = s.page.locator('[data-testid="drone-shared-1"][data-state="running"]')
    await card.waitFor({ timeout: 30_000 })
    const signals = await card.getByTestId('drone-signals').textContent()
    const startedAt = await card.getByTestId('drone-started').getAttribute('data-at')
    await nav(s.page, 'cluster')
    const row = s.page.getByTestId('cluster-drone-shared-1')
    // Cluster reads the registry row on opening: it must already say what the card says.
    await row.waitFor({ timeout: 2_000 })
    expect(await row.getByTestId('cluster-drone-state').textContent()).toBe('running')
    expect(await row.getByTestId('cluster-drone-signals').textContent()).toBe(signals)
    expect(await row.getByTestId('cluster-drone-started').getAttribute('data-at')).toBe(startedAt)
  })

  it(`enqueues ${COUNT} tasks at once from the Enqueue view, refusing a bad NDJSON line before storing anything`, async () => {
    await nav(s.page, 'enqueue')
    expect(await s.page.getByTestId('enqueue-type').inputValue()).toBe('')
    const suggested = await s.page.getByTestId('enqueue-type-suggestions').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
    expect(suggested).toContain('echo')
    // A file with a bad second line: named, and nothing enqueued.
    await s.page.getByTestId('bulk-mode-file').check()
    await s.page.getByTestId('bulk-file').setInputFiles({ name: 'bad.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"type":"echo","payload":{"n":1}}\n{"type":"echo", oops}\n') })
    await s.page.getByTestId('bulk-send').click()
    await s.page.getByTestId('bulk-error').waitFor({ timeout: T })
    expect(await s.page.getByTestId('bulk-error-message').textContent()).toMatch(/^line 2: /)
    // The count and template.
    await s.page.getByTestId('bulk-mode-template').check()
    await s.page.getByTestId('bulk-type').fill('echo')
    await s.page.getByTestId('bulk-count').fill(String(COUNT))
    await s.page.getByTestId('bulk-template').fill('{"n": {{i}}}')
    await s.page.getByTestId('bulk-send').click()
    await s.page.locator(`[data-testid="bulk-result"][data-count="${COUNT}"]`).waitFor({ timeout: T })
    await screenshot(s.page, 'enqueue-bulk')
  })

  it(`sees ${COUNT} succeeded in Tasks and in swarmage stats`, async () => {
    await nav(s.page, 'tasks')
    await s.page.getByTestId('tasks-type').fill('echo')
    await s.page.getByTestId('tasks-state').selectOption('succeeded')
    await expect.poll(async () => Number(await s.page.getByTestId('tasks-table').getAttribute('data-count')), { timeout: 60_000 }).toBe(COUNT)
    const stats = await cli(['stats', '--queue', address, '--json'], { cwd: s.tmp.dir })
    expect(stats.code, stats.stderr).toBe(0)
    const parsed = JSON.parse(stats.stdout) as { types: Record<string, { succeeded: number; queued: number }> }
    expect(parsed.types.echo).toMatchObject({ succeeded: COUNT, queued: 0 })
    // A task's detail: labelled durations, none negative.
    await s.page.locator('[data-testid="task-row"]').first().click()
    const durations = s.page.getByTestId('task-durations')
    await durations.waitFor({ timeout: T })
    expect(await durations.textContent()).toMatch(/^(run \d[\d.]* (ms|s|min) · )?wait \d[\d.]* (ms|s|min) · total \d[\d.]* (ms|s|min)$/)
    for (const took of await s.page.getByTestId('task-attempt-took').allTextContents()) expect(took).not.toContain('-')
  })

  it('shows no negative duration in Flow, every one labelled, and charts from the first event', async () => {
    await nav(s.page, 'flow')
    await expect.poll(async () => (await s.page.getByTestId('flow-event-duration').allTextContents()).length, { timeout: T }).toBeGreaterThan(0)
    for (const d of await s.page.getByTestId('flow-event-duration').allTextContents()) expect(d.trim()).toMatch(/^(run|wait) \d[\d.]* (ms|s|min)$/)
    // The run began seconds ago: the chart spans a minute from its first event, not 15 empty minutes.
    expect(Number(await s.page.getByTestId('chart-spans').getAttribute('data-seconds'))).toBeLessThan(900)
    await s.page.getByTestId('chart-span-3600').click()
    expect(await s.page.getByTestId('chart-span-3600').getAttribute('aria-pressed')).toBe('true')
    await screenshot(s.page, 'flow-shared-queue')
    expect(s.errors).toEqual([])
  })
})
