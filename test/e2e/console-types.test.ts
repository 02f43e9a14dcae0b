/**
 * The Types view in a real browser against the real console service and two real drones on one
 * SQLite queue (one started from the console, one a library Drone in this process): a limit edited
 * in the view (a bad one refused and named), running N / max M shown and obeyed by both drones, what
 * the limit holds back, pause stopping every start and resume restarting them; and the Drones view's
 * per-drone Pause/Resume.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { tempDir } from '../helpers.ts'
import { T, addWorker, nav, openConsole, startDrone } from './flows.ts'
import { FIXTURE_WORKER, buildRenderer, launchBrowser, startConsole, watchErrors, type ConsoleHandle } from './harness.ts'

const TASKS = 30

describe('console e2e: Types', () => {
  const tmp = tempDir('swarmage-e2e-types-')
  const file = join(tmp.dir, 'queue.db')
  let consoleHandle: ConsoleHandle
  let browser: Browser
  let page: Page
  let errors: string[]
  let queue: Queue
  let drone: Drone | undefined

  beforeAll(async () => {
    const staticDir = buildRenderer()
    consoleHandle = await startConsole({ dataDir: join(tmp.dir, 'data'), staticDir })
    queue = await openQueue(`sqlite:${file}`)
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1600, height: 900 } })
    page.on('dialog', (d) => void d.accept())
    errors = watchErrors(page)
    await openConsole(page, consoleHandle.url)
  }, 120_000)

  afterAll(async () => {
    await drone?.stop({ mode: 'now' })
    await queue?.close()
    await browser?.close()
    await consoleHandle?.close()
    tmp.cleanup()
  })

  it('edits limits live, shows their use and what they hold back, pauses and resumes a type and a drone', async () => {
    await nav(page, 'connections')
    await page.getByTestId('connection-add').click()
    await page.getByTestId('connection-name').fill('types')
    await page.getByTestId('connection-kind-sqlite').click()
    await page.getByTestId('connection-path').fill(file)
    await page.getByTestId('connection-save').click()
    const conn = page.getByTestId('connection-row-types')
    await conn.waitFor({ timeout: T })
    const connectionId = (await conn.getAttribute('data-id'))!
    await page.getByTestId('connection-use-types').click()
    await expect.poll(() => page.getByTestId('connection-select').inputValue()).toBe(connectionId)

    // Tasks first, no drone yet: the type shows up queued, nothing held by a limit.
    await queue.enqueueMany(Array.from({ length: TASKS }, (_, n) => ({ type: 'hold', payload: { n, holdMs: 150 } })))
    await nav(page, 'types')
    const row = page.getByTestId('type-row-hold')
    await expect.poll(() => row.getByTestId('type-queued').textContent(), { timeout: T }).toBe(String(TASKS))
    expect(await row.getByTestId('type-held').textContent()).toBe('nothing')

    // A bad limit is named and nothing is stored; a good one is stored and shown with its use.
    await row.getByTestId('type-edit').click()
    const form = page.getByTestId('limits-form-hold')
    await form.getByTestId('limits-rate').fill('0/1s')
    await form.getByTestId('limits-save').click()
    await expect.poll(() => form.getByTestId('limits-error').textContent(), { timeout: T }).toContain('"0/1s"')
    expect(await queue.typeSettings()).toEqual({})
    await form.getByTestId('limits-rate').fill('')
    await form.getByTestId('limits-maxRunning').fill('2')
    await form.getByTestId('limits-save').click()
    await expect.poll(() => row.getByTestId('type-max-running').textContent(), { timeout: T }).toBe('running 0 / max 2')
    expect(await queue.typeSettings()).toEqual({ hold: { paused: false, maxRunning: 2, rate: null, groupMaxRunning: null, groupRate: null } })

    // Two drones serve the type, four slots each: the limit binds both.
    await addWorker(page, 'hold', 4)
    await startDrone(page, connectionId, 'types-a')
    drone = new Drone({ queue, workers: { hold: { module: FIXTURE_WORKER, concurrency: 4 } }, drone: { name: 'types-b' }, localQueuePath: join(tmp.dir, 'b.db') })
    await drone.start()
    await nav(page, 'types')
    await expect.poll(() => row.getByTestId('type-max-running').textContent(), { timeout: T }).toBe('running 2 / max 2')
    await expect.poll(() => row.getByTestId('type-held').textContent(), { timeout: T }).toMatch(/\d+ tasks? waiting for a running slot \(running 2 \/ max 2\)/)

    // Pause: tasks in hand finish, nothing new starts anywhere; the view says why tasks wait.
    await row.getByTestId('type-toggle').click()
    await expect.poll(() => row.getAttribute('data-paused'), { timeout: T }).toBe('yes')
    const pausedAt = Date.now()
    await expect.poll(() => row.getByTestId('type-running').textContent(), { timeout: T }).toBe('0')
    const waiting = Number(await row.getByTestId('type-queued').textContent())
    expect(waiting).toBeGreaterThan(0)
    await expect.poll(() => row.getByTestId('type-held').textContent(), { timeout: T }).toBe(`${waiting} task${waiting === 1 ? '' : 's'} waiting: the type is paused`)

    // A drone's own Pause/Resume (Drone.pause/resume) in the Drones view, while the type is paused.
    await nav(page, 'drones')
    const card = page.getByTestId('drone-types-a')
    await card.getByTestId('drone-pause-toggle').click()
    await card.getByTestId('drone-paused').waitFor({ timeout: T })
    expect((await consoleHandle.service.call('drones.list', {})).find((d) => d.name === 'types-a')?.paused).toBe(true)
    await card.getByTestId('drone-pause-toggle').click()
    await expect.poll(() => card.getByTestId('drone-paused').count(), { timeout: T }).toBe(0)

    await nav(page, 'types')
    const resumedAt = Date.now()
    await row.getByTestId('type-toggle').click()
    await expect.poll(() => row.getAttribute('data-paused'), { timeout: T }).toBe('no')
    await expect.poll(async () => (await queue.stats()).types.hold?.succeeded, { timeout: 60_000 }).toBe(TASKS)

    // The ledger: no claim while paused (a second allowed for the pause to land), never more than 2 at once.
    const tasks = await queue.list({ type: 'hold', limit: 1000 })
    const starts = tasks.map((t) => Date.parse(t.startedAt!))
    expect(starts.filter((s) => s > pausedAt + 1_000 && s < resumedAt)).toEqual([])
    const edges = tasks.flatMap((t) => [
      { at: Date.parse(t.startedAt!), d: 1 },
      { at: Date.parse(t.finishedAt!), d: -1 },
    ])
    edges.sort((a, b) => a.at - b.at || a.d - b.d)
    let open = 0
    let most = 0
    for (const e of edges) most = Math.max(most, (open += e.d))
    expect(most).toBeLessThanOrEqual(2)
    // Which drone won each slot is the claim's race (no fairness is promised); every task ran on one of the two.
    expect(tasks.every((t) => t.drone === 'types-a' || t.drone === 'types-b')).toBe(true)
    expect(errors).toEqual([])
  }, 180_000)
})
