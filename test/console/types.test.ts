import { afterEach, describe, expect, it } from 'vitest'
import { listTypeViews } from '../../src/api/types.ts'
import { BACKENDS, testQueue } from '../drone/setup.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** The Types view's counts (src/api/types.ts) against real claims on both drivers. */
describe.each(BACKENDS)('console types.list on %s', (backend) => {
  it('shows each limit with its use and names what it holds back', async () => {
    const q = await testQueue(backend, 'types_view')
    cleanups.push(q.cleanup)
    const claim = (type: string, limit = 100) =>
      q.queue.driver.taskClaim({ droneId: 'd1', droneName: 'one', wants: [{ type, limit }], leaseMs: 60_000 })
    await q.queue.enqueueMany([
      ...Array.from({ length: 3 }, () => ({ type: 'g', payload: null, options: { group: 'acme' } })),
      ...Array.from({ length: 2 }, () => ({ type: 'g', payload: null, options: { group: 'globex' } })),
      { type: 'g', payload: null, options: { group: 'initech' } },
      ...Array.from({ length: 5 }, () => ({ type: 'r', payload: null })),
      ...Array.from({ length: 4 }, () => ({ type: 'm', payload: null })),
      { type: 'free', payload: null },
    ])
    await q.queue.setTypeSettings('g', { groupMaxRunning: 1 })
    await q.queue.setTypeSettings('r', { rate: '3/1h' })
    await q.queue.setTypeSettings('m', { maxRunning: 1 })
    // initech's only task runs, so it is at its limit with nothing waiting; acme and globex keep tasks waiting.
    expect(await claim('g')).toHaveLength(3)
    expect(await claim('r')).toHaveLength(3)
    expect(await claim('m')).toHaveLength(1)
    await q.queue.setTypeSettings('x-paused', { paused: true })

    const views = Object.fromEntries((await listTypeViews(q.queue)).map((v) => [v.type, v]))
    expect(Object.keys(views).sort()).toEqual(['free', 'g', 'm', 'r', 'x-paused'])
    expect(views.g).toMatchObject({ queued: 3, running: 3, use: { running: 3, groups: 3, groupsAtLimit: 3 }, held: { groupSlots: 3 } })
    expect(views.g!.notes).toEqual(['3 tasks waiting for group slots (3 groups at their limit)'])
    expect(views.g!.use.fullGroups.map((f) => [f.group, f.queued]).sort()).toEqual([
      ['acme', 2],
      ['globex', 1],
      ['initech', 0],
    ])
    expect(views.r).toMatchObject({ use: { starts: 3, rateN: 3 }, held: { rate: 2 } })
    expect(views.r!.notes).toEqual(['2 tasks waiting for the rate (3 of 3 starts used in 1h)'])
    expect(views.m).toMatchObject({ use: { running: 1 }, held: { maxRunning: 3 }, notes: ['3 tasks waiting for a running slot (running 1 / max 1)'] })
    expect(views.free).toMatchObject({ queued: 1, notes: [], held: { paused: 0, maxRunning: 0, rate: 0, groupSlots: 0 } })
    expect(views['x-paused']).toMatchObject({ queued: 0, settings: { paused: true }, notes: ['0 tasks waiting: the type is paused'] })
  })
})
