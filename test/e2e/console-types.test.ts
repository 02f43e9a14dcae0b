/**
 * The Types view in a real browser against the real console service and two real drones on one
 * SQLite queue (one started from the console, one a library Drone in this process): a limit edited
 * in the view (a bad one refused and named), running N / max M shown and obeyed by both drones, what
 * the limit holds back, pause stopping every start and resume restarting them; and the Drones view's
 * per-drone Pause/Resume.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { T, addSqliteConnection, addWorker, nav, startDrone, useConnection } from './flows.ts'
import { FIXTURE_WORKER } from './harness.ts'
import { consoleSession } from './session.ts'

const TASKS = 30

describe('console e2e: Types', () => {
  let queue: Queue
  let drone: Drone | undefined
  const s = consoleSession('swarmage-e2e-types-', {
    viewport: { width: 1600, height: 900 },
    acceptDialogs: true,
    started: async () => {
      queue = await openQueue(`sqlite:${file}`)
    },
    closing: async () => {
      await drone?.stop({ mode: 'now' })
      await queue?.close()
    },
  })
  const file = join(s.tmp.dir, 'queue.db')

  it('edits limits live, shows their use and what they hold back, pauses and resumes a type and a drone', async () => {
    const connectionId = await addSqliteConnection(s.page, 'types', file)
    await useConnection(s.page, 'types', connectionId)

    // Tasks first, no drone yet: the type shows up queued, nothing held by a limit.
    await queue.enqueueMany(Array.from({ length: TASKS }, (_, n) => ({ type: 'hold', payload: { n, holdMs: 150 } })))
    await nav(s.page, 'types')
    const row = s.page.getByTestId('type-row-hold')
    await expect.poll(() => row.getByTestId('type-queued').textContent(), { timeout: T }).toBe(String(TASKS))
    expect(await row.getByTestId('type-held').textContent()).toBe('nothing')

    // A bad limit is named and nothing is stored; a good one is stored and shown with its use.
    await row.getByTestId('type-edit').click()
    const form = s.page.getByTestId('limits-form-hold')
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
    await addWorker(s.page, 'hold', 4)
    await startDrone(s.page, connectionId, 'types-a')
    drone = new Drone({ queue, workers: { hold: { module: FIXTURE_WORKER, concurrency: 4 } }, drone: { name: 'types-b' }, localQueuePath: join(s.tmp.dir, 'b.db') })
    await drone.start()
    await nav(s.page, 'types')
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
    await nav(s.page, 'drones')
    const card = s.page.getByTestId('drone-types-a')
    await card.getByTestId('drone-pause-toggle').click()
    await card.getByTestId('drone-paused').waitFor({ timeout: T })
    expect((await s.console.service.call('drones.list', {})).find((d) => d.name === 'types-a')?.paused).toBe(true)
    await card.getByTestId('drone-pause-toggle').click()
    await expect.poll(() => card.getByTestId('drone-paused').count(), { timeout: T }).toBe(0)

    await nav(s.page, 'types')
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
    expect(s.errors).toEqual([])
  }, 180_000)
})
