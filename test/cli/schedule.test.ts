import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.ts'
import { cli, fails, ok } from './cli.ts'

const tmp = tempDir('swarmage-cli-sched-')
afterAll(() => tmp.cleanup())
const q = ['--queue', `sqlite:${tmp.dir}/swarm.db`]
const run = (...args: string[]) => cli([...args, ...q], { cwd: tmp.dir })

describe('swarmage schedule(s)', () => {
  it('refuses bad input with exit 2 and one line naming the value, storing nothing', async () => {
    fails(await run('schedule', 'set', 'r', '--cron', '61 * * * *', '--type', 'report'), 2, /61 \* \* \* \*/)
    fails(await run('schedule', 'set', 'r', '--cron', '* * * * *', '--type', 'report', '--timezone', 'Mars/Olympus'), 2, /Mars\/Olympus/)
    fails(await run('schedule', 'set', 'r', '--cron', '* * * * *', '--type', 'report', '--overlap', 'sometimes'), 2, /sometimes/)
    fails(await run('schedule', 'set', 'r', '--cron', '* * * * *', '--type', 'report', '--catch-up', '-5'), 2, /catch-up/)
    fails(await run('schedule', 'set', 'r', '--cron', '* * * * *', '--type', 'report', '{not json'), 2, /payload/)
    fails(await run('schedule', 'pause', 'nope'), 2, /nope/)
    expect(ok(await run('schedules', '--json'))).toBe('')
  })

  it('sets, lists, pauses, resumes, runs and removes a schedule', async () => {
    const set = JSON.parse(
      ok(await run('schedule', 'set', 'nightly', '{"a":1}', '--cron', '30 2 * * *', '--type', 'report', '--timezone', 'Europe/Berlin', '--catch-up', '60000', '--overlap', 'skip', '--json')),
    ) as Record<string, unknown>
    expect(set).toMatchObject({ name: 'nightly', cron: '30 2 * * *', timezone: 'Europe/Berlin', type: 'report', payload: { a: 1 }, catchUp: 60000, overlap: 'skip', paused: false })
    expect(String(set.nextRun)).toMatch(/T0[01]:30:00\.000Z$/) // 02:30 in Berlin is 01:30Z or 00:30Z
    const table = ok(await run('schedules'))
    expect(table).toMatch(/NAME\s+CRON\s+TIMEZONE/)
    expect(table).toMatch(/nightly\s+30 2 \* \* \*\s+Europe\/Berlin/)
    expect(JSON.parse(ok(await run('schedule', 'pause', 'nightly', '--json')))).toMatchObject({ paused: true })
    expect(JSON.parse(ok(await run('schedules', '--json')))).toMatchObject({ name: 'nightly', paused: true })
    expect(JSON.parse(ok(await run('schedule', 'resume', 'nightly', '--json')))).toMatchObject({ paused: false })
    const { id } = JSON.parse(ok(await run('schedule', 'run', 'nightly', '--json'))) as { id: string }
    const task = JSON.parse(ok(await run('task', id, '--json'))) as { type: string; payload: unknown; key: string; schedule: { name: string; tick: string } }
    expect(task).toMatchObject({ type: 'report', payload: { a: 1 }, schedule: { name: 'nightly' } })
    expect(task.key).toBe(`schedule:nightly:${task.schedule.tick}`)
    expect(JSON.parse(ok(await run('schedules', '--json')))).toMatchObject({ lastTaskId: id, lastRun: task.schedule.tick })
    ok(await run('schedule', 'rm', 'nightly'))
    expect(ok(await run('schedules'))).toMatch(/no schedules/)
  })
})
