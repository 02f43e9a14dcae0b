/**
 * "What a drone holds" and the postback map (issue #12 item 6), in Chromium against the real console
 * service, an SQLite queue, drones and their worker processes: the Drones view lists a console
 * drone's tasks in hand by state with pids and a lease counting down on the client; "Hand back" puts a
 * buffered task back and another drone (one the console does not run, started here from the library)
 * claims it, which the Drones view shows from the global queue; Flow draws the postback map of a
 * chain of types with rates on its edges.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { T, addSqliteConnection, addWorker, nav, startDrone, useConnection } from './flows.ts'
import { FIXTURE_WORKER, ROOT, screenshot } from './harness.ts'
import { consoleSession } from './session.ts'

const CHAIN = join(ROOT, 'test/e2e/fixtures/chain.mjs')

describe('console e2e: what a drone holds, and the postback map', () => {
  let queue: Queue | undefined
  let remote: Drone | undefined
  const s = consoleSession('swarmage-e2e-holdings-', {
    colorScheme: 'dark',
    acceptDialogs: true,
    timeout: 180_000,
    closing: async () => {
      await remote?.stop({ mode: 'now' })
      await queue?.close()
    },
  })

  it('lists a drone’s tasks in hand, hands a buffered one back, and shows it claimed by a drone run elsewhere', async () => {
    const file = join(s.tmp.dir, 'queue.db')
    const connectionId = await addSqliteConnection(s.page, 'hq', file)
    await useConnection(s.page, 'hq', connectionId)
    // Concurrency 1, one process: one task runs, one waits in the process, 13 of its 15 are buffered.
    await addWorker(s.page, 'hold', 1)
    await startDrone(s.page, connectionId, 'holder')
    const service = s.console.service
    const { ids } = await service.call('tasks.enqueueMany', { connectionId, tasks: Array.from({ length: 20 }, () => ({ type: 'hold', payload: { holdMs: 120_000 } })) })

    const card = s.page.getByTestId('drone-holder')
    await card.getByTestId('holdings-toggle').click()
    const panel = s.page.getByTestId('holdings-holder')
    await expect.poll(() => panel.getByTestId('holdings-count-buffered').textContent(), { timeout: T }).toBe('13')
    expect(await panel.getByTestId('holdings-count-running').textContent()).toBe('1')
    expect(await panel.getByTestId('holdings-count-dispatched').textContent()).toBe('1')
    const pid = String((await service.call('drones.list', {}))[0]!.processes[0]!.pid)
    const runningRow = panel.locator('tr[data-state="running"]')
    const running = (await runningRow.getAttribute('data-testid'))?.replace('holding-', '')
    expect(await runningRow.getByTestId('holding-pid').textContent()).toBe(pid)
    expect(await panel.locator('tr[data-state="dispatched"]').getByTestId('holding-pid').textContent()).toBe(pid)
    expect(await panel.locator('tr[data-state="buffered"]').count()).toBe(13)
    // The lease counts down on the client, between two reads of the list (one every 2 s).
    const lease = runningRow.getByTestId('holding-lease')
    const first = parseFloat((await lease.textContent())!)
    expect(first).toBeGreaterThan(0)
    await expect.poll(async () => parseFloat((await lease.textContent())!), { timeout: 1500, interval: 100 }).toBeLessThan(first)
    // The card's figures (pushed once a second) agree with the ledger's list.
    await expect.poll(() => card.getByTestId('drone-leases-held').textContent(), { timeout: T }).toBe('15')
    expect(await card.getByTestId('holdings-toggle').textContent()).toContain('Tasks in hand (15)')
    await screenshot(s.page, 'drone-holdings')

    // The five tasks the console drone has no room for go to a drone run elsewhere (the library, same queue file).
    queue = await openQueue(`sqlite:${file}`)
    remote = new Drone({ queue, workers: { hold: { module: FIXTURE_WORKER, concurrency: 1 } }, drone: { name: 'remote' }, localQueuePath: join(s.tmp.dir, 'remote.db') })
    await remote.start()
    const remoteCard = s.page.getByTestId('remote-drone-remote')
    await remoteCard.waitFor({ timeout: T })
    await remoteCard.getByTestId('holdings-toggle').click()
    const remotePanel = s.page.getByTestId('holdings-remote')
    expect(await remotePanel.getAttribute('data-source')).toBe('global')
    await expect.poll(() => remotePanel.getByTestId('holdings-count-leased').textContent(), { timeout: T }).toBe('5')
    expect(await remotePanel.getByTestId('holdings-global-note').textContent()).toContain('run the drone from this console to see them')

    // Paused, the console drone claims nothing; its buffered task goes back and the other drone takes it.
    await card.getByTestId('drone-pause-toggle').click()
    await card.getByTestId('drone-paused').waitFor({ timeout: T })
    const given = (await panel.locator('tr[data-state="buffered"]').first().getAttribute('data-testid'))!.replace('holding-', '')
    await panel.getByTestId(`holding-${given}`).getByTestId('holding-handback').click()
    await panel.getByTestId('holdings-handed-back').waitFor({ timeout: T })
    await expect.poll(() => panel.getByTestId(`holding-${given}`).count(), { timeout: T }).toBe(0)
    await remotePanel.getByTestId(`holding-${given}`).waitFor({ timeout: T })
    expect(await remotePanel.getByTestId('holdings-count-leased').textContent()).toBe('6')
    const task = (await service.call('tasks.get', { connectionId, id: given })).task
    expect(task).toMatchObject({ state: 'running', drone: 'remote', attempts: 1 })
    // Nothing lost: the console drone holds 14, the other 6, of the 20.
    expect(await panel.getByTestId('holdings-count-buffered').textContent()).toBe('12')
    expect(ids).toContain(given)
    // A task id is a link to its detail in its queue (#/tasks/ID?connection=C).
    await panel.getByTestId(`holding-${running!}`).locator('a').click()
    await s.page.locator(`[data-testid="task-detail"][data-id="${running!}"]`).waitFor({ timeout: T })
    expect(s.page.url()).toContain(`#/tasks/${running!}?connection=${connectionId}`)
    expect(s.errors).toEqual([])
  }, 180_000)

  it('draws the postback map of a chain of types with rates on its edges', async () => {
    const service = s.console.service
    const defs = []
    for (const type of ['pa', 'pb', 'pc']) defs.push(await service.call('workers.save', { type, module: CHAIN, processes: 1, concurrency: 4 }))
    const connectionId = (await service.call('connections.list', {})).find((c) => c.name === 'hq')!.id
    await service.call('drones.start', { connectionId, workerIds: defs.map((d) => d.id), name: 'chain' })
    await service.call('tasks.enqueueMany', { connectionId, tasks: Array.from({ length: 5 }, () => ({ type: 'pa', payload: { next: ['pb', 'pc'], children: 3 } })) })

    await nav(s.page, 'flow')
    const map = s.page.getByTestId('postback-map')
    // 5 pa → 15 pb → 45 pc.
    await expect.poll(() => map.getByTestId('postback-edge-pb-pc').getByTestId('postback-count').textContent(), { timeout: 30_000 }).toBe('45')
    expect(await map.getByTestId('postback-edge-pa-pb').getByTestId('postback-count').textContent()).toBe('15')
    const rate = parseFloat((await map.getByTestId('postback-edge-pb-pc').getByTestId('postback-rate').textContent())!)
    expect(rate).toBeGreaterThan(0)
    await map.getByTestId('postback-arc-pa-pb').waitFor()
    await map.getByTestId('postback-arc-pb-pc').waitFor()
    expect(await map.getByTestId('postback-arc-pa-pb').locator('text').textContent()).toMatch(/^[\d.,]+\/min$/)
    for (const t of ['pa', 'pb', 'pc']) await map.getByTestId(`postback-node-${t}`).waitFor()
    await map.scrollIntoViewIfNeeded()
    await screenshot(s.page, 'flow-postbacks')
    expect(s.errors).toEqual([])
  }, 120_000)
})
