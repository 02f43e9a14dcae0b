/**
 * The console on the shared PostgreSQL queue (a schema of its own): a connection given by fields,
 * tested, migrated; a drone with real worker processes; a task enqueued from the form and watched to
 * the end; then 100,000 tasks (inserted fast through openQueue + enqueueMany) paged through in the
 * virtualized Tasks table with keyset paging, without the scroll height or row heights moving.
 */
import { describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { TEST_PG, dropSchema, pgAddress, uniqueSchema } from '../helpers.ts'
import { T, addWorker, enqueue, nav, openConnectionForm, openTaskFromEnqueue, saveConnection, startDrone, useConnection, waitTaskState } from './flows.ts'
import { screenshot } from './harness.ts'
import { consoleSession } from './session.ts'

const BULK = 100_000

describe('console e2e on PostgreSQL', () => {
  const schema = uniqueSchema('e2e_console')
  const s = consoleSession('swarmage-e2e-pg-', { colorScheme: 'light', acceptDialogs: true, closed: () => dropSchema(schema) })
  let connectionId = ''

  it('adds a PostgreSQL connection by fields, sees the schema missing, and migrates it', async () => {
    const pg = new URL(TEST_PG)
    await openConnectionForm(s.page, 'e2e-pg', 'postgres')
    await s.page.getByTestId('connection-mode-fields').click()
    await s.page.getByTestId('connection-host').fill(pg.hostname)
    await s.page.getByTestId('connection-port').fill(pg.port || '5432')
    await s.page.getByTestId('connection-database').fill(pg.pathname.slice(1))
    await s.page.getByTestId('connection-user').fill(decodeURIComponent(pg.username))
    await s.page.getByTestId('connection-sslmode').selectOption('disable')
    await s.page.getByTestId('connection-schema').fill(schema)
    // Tested before saving: the server answers with its version, and the schema is not there yet.
    await s.page.getByTestId('connection-form-test').click()
    await s.page.getByTestId('connection-form-test-result').waitFor({ timeout: T })
    expect(await s.page.getByTestId('connection-form-test-result-version').textContent()).toMatch(/PostgreSQL|\d+\.\d+/)
    expect(await s.page.getByTestId('connection-form-test-result-schema').textContent()).toBe('missing')
    connectionId = await saveConnection(s.page, 'e2e-pg')
    expect(await s.page.getByTestId('connection-row-e2e-pg').textContent()).toContain(schema)
    await s.page.getByTestId('connection-migrate-e2e-pg').click()
    await s.page.getByTestId('connection-migrated-e2e-pg').waitFor({ timeout: T })
    expect(await s.page.getByTestId('connection-test-e2e-pg-schema').textContent()).toBe('current')
    await useConnection(s.page, 'e2e-pg', connectionId)
  })

  it('runs a drone on PostgreSQL and watches a task from the form succeed', async () => {
    await addWorker(s.page, 'e2e.pg', 2)
    await startDrone(s.page, connectionId, 'drone-pg')
    expect(await s.page.getByTestId('drone-drone-pg').getByTestId('drone-signals').textContent()).toBe('push')
    const id = await enqueue(s.page, 'e2e.pg', '{"n": 5}')
    await openTaskFromEnqueue(s.page, id)
    await waitTaskState(s.page, id, 'succeeded')
    expect(await s.page.getByTestId('task-result').textContent()).toContain('10')
    await nav(s.page, 'flow')
    await expect.poll(async () => Number(await s.page.getByTestId('flow-succeeded-total').textContent()), { timeout: T }).toBeGreaterThanOrEqual(1)
  })

  it(`pages through ${BULK.toLocaleString('en')} tasks with keyset paging and fixed rows`, async () => {
    const queue = await openQueue(pgAddress(schema))
    const t0 = Date.now()
    try {
      const tasks = Array.from({ length: BULK }, (_, i) => ({ type: 'bulk', payload: { i } }))
      await queue.enqueueMany(tasks)
    } finally {
      await queue.close()
    }
    const enqueueMs = Date.now() - t0
    console.log(`e2e figures: enqueueMany ${BULK} on PostgreSQL ${enqueueMs} ms`)

    await nav(s.page, 'tasks')
    await s.page.getByTestId('tasks-state').selectOption('queued')
    await s.page.getByTestId('tasks-type').fill('bulk')
    const table = s.page.getByTestId('tasks-table')
    await expect.poll(async () => Number(await table.getAttribute('data-count')), { timeout: T }).toBeGreaterThanOrEqual(BULK)
    // The newest first: payload i = BULK-1 (enqueueMany keeps order; createdAt ties broken by id).
    const scroller = s.page.getByTestId('tasks-scroll')
    const heightAtStart = await scroller.evaluate((el) => el.scrollHeight)
    expect(heightAtStart).toBeGreaterThanOrEqual(BULK * 28)

    const t1 = Date.now()
    // Jump to the end: pages load one after another (keyset cursor) until the last row is there.
    let loaded = 0
    for (;;) {
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight))
      const now = Number(await table.getAttribute('data-loaded'))
      const count = Number(await table.getAttribute('data-count'))
      if (now >= BULK && now === count) break
      if (now !== loaded) loaded = now
      await s.page.waitForFunction(
        (prev) => Number(document.querySelector('[data-testid="tasks-table"]')?.getAttribute('data-loaded')) > prev,
        now,
        { timeout: T },
      )
      // Nothing jumps: the scroll area keeps its height (the total was known up front) while pages arrive.
      if (now < BULK - 1000) expect(await scroller.evaluate((el) => el.scrollHeight)).toBe(heightAtStart)
    }
    const pageThroughMs = Date.now() - t1
    console.log(`e2e figures: first page ${await s.page.getByTestId('tasks-count').textContent()}; paged through all ${BULK} in ${pageThroughMs} ms`)
    const last = s.page.locator(`[data-testid="task-row"][data-index="${BULK - 1}"]`)
    await last.waitFor({ timeout: T })
    await last.click()
    await s.page.getByTestId('task-detail').waitFor()
    await expect.poll(async () => s.page.getByTestId('task-payload').textContent(), { timeout: T }).toMatch(/"i": \d+/)
    // Exactly every task once: pages are de-duplicated by id, so a skipped or repeated page shows here.
    expect(Number(await table.getAttribute('data-loaded'))).toBe(BULK)
    // Every rendered row has the fixed height.
    const heights = await s.page.locator('[data-testid="task-row"]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).offsetHeight))
    expect(new Set(heights)).toEqual(new Set([28]))
    await screenshot(s.page, 'tasks-100k')
    expect(s.errors).toEqual([])
  }, 180_000)
})
