/** The console API's schedules methods against the embedded SQLite queue (the Schedules view's backend). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError, ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import { tempDir } from '../helpers.ts'

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService

beforeAll(async () => {
  tmp = tempDir('swarmage-console-sched-')
  service = new ConsoleService({ dataDir: tmp.dir, mode: 'browser' })
  await service.start()
})
afterAll(async () => {
  await service.stop()
  tmp.cleanup()
})

describe('console schedules API', () => {
  it('adds, lists with plain words and the next five runs, pauses, resumes, runs now and removes', async () => {
    const c = { connectionId: EMBEDDED_ID }
    await service.call('schedules.set', { ...c, name: 'nightly', schedule: { cron: '30 2 * * *', type: 'report', timezone: 'Europe/Berlin', payload: { x: 1 } } })
    const [view] = await service.call('schedules.list', c)
    expect(view).toMatchObject({ name: 'nightly', timezone: 'Europe/Berlin', paused: false, lastRun: null })
    expect(view!.description).toMatch(/02:30/)
    expect(view!.nextRuns).toHaveLength(5)
    expect(view!.nextRuns[0]).toBe(view!.nextRun)
    expect(await service.call('schedules.pause', { ...c, name: 'nightly' })).toMatchObject({ paused: true })
    expect(await service.call('schedules.resume', { ...c, name: 'nightly' })).toMatchObject({ paused: false })
    const { id } = await service.call('schedules.run', { ...c, name: 'nightly' })
    expect((await service.call('schedules.list', c))[0]).toMatchObject({ lastTaskId: id })
    expect((await service.call('tasks.get', { ...c, id })).task).toMatchObject({ type: 'report', schedule: { name: 'nightly' } })
    const err = await service.call('schedules.set', { ...c, name: 'bad', schedule: { cron: '61 * * * *', type: 'r' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).message).toMatch(/61 \* \* \* \*/)
    expect(await service.call('schedules.remove', { ...c, name: 'nightly' })).toEqual({ removed: true })
    expect(await service.call('schedules.list', c)).toEqual([])
  })
})
