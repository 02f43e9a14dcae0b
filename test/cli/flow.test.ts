import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'
import { cli, fails, ok } from './cli.ts'

/** `swarmage pause|resume|limits` and `enqueue --group` through the real CLI (CONTRACT.md "Flow control"). */
describe.each(['sqlite', 'postgres'] as const)('flow control CLI on %s', (backend) => {
  const tmp = tempDir(`swarmage-cli-flow-${backend}-`)
  const schema = uniqueSchema('cli_flow')
  const address = backend === 'sqlite' ? `sqlite:${join(tmp.dir, 'swarm.db')}` : pgAddress(schema)
  const run = (...args: string[]) => cli([...args, '--queue', address], { cwd: tmp.dir })
  const limitsJson = async () => JSON.parse(ok(await run('limits', '--json'))) as { types: Record<string, unknown> }

  beforeAll(async () => {
    const q = await openQueue(address, { migrate: true })
    await q.close()
  })
  afterAll(async () => {
    tmp.cleanup()
    if (backend === 'postgres') await dropSchema(schema)
  })

  it('refuses bad input with exit 2 and one line naming the value, storing nothing', async () => {
    const [rate, negative, zero, type, group, noType, groupRate] = await Promise.all([
      run('limits', 'resize', '--rate', '0/1s'),
      run('limits', 'resize', '--max-running', '-1'),
      run('limits', 'resize', '--group-max-running', '0'),
      run('pause', 'no spaces!'),
      run('enqueue', 'resize', '{}', '--group', 'g'.repeat(201)),
      run('limits', '--max-running', '3'),
      run('limits', 'resize', '--max-running', '2', '--group-rate', '5/1fortnight'),
    ])
    fails(rate, 2, /--rate.*'0\/1s'/)
    fails(negative, 2, /--max-running.*'-1'/)
    fails(zero, 2, /--group-max-running.*'0'/)
    fails(type, 2, /"no spaces!"/)
    fails(group, 2, /group of 201 characters/)
    fails(noType, 2, /TYPE/)
    fails(groupRate, 2, /--group-rate.*'5\/1fortnight'/)
    expect(await limitsJson()).toEqual({ types: {} })
    expect(JSON.parse(ok(await run('stats', '--json')))).toMatchObject({ types: {} })
  })

  it('pause, resume and limits change the stored settings; limits --json prints them exactly', async () => {
    expect(ok(await run('limits'))).toMatch(/no flow settings/)
    expect(ok(await run('pause', 'resize'))).toBe('resize: paused\n')
    const set = JSON.parse(ok(await run('limits', 'resize', '--max-running', '4', '--rate', '50/1s', '--group-max-running', '1', '--group-rate', '10/1m', '--json')))
    expect(set).toEqual({ types: { resize: { paused: true, maxRunning: 4, rate: '50/1s', groupMaxRunning: 1, groupRate: '10/1m' } } })
    ok(await run('limits', 'upload', '--rate', '5/s'))
    expect(await limitsJson()).toEqual({
      types: {
        resize: { paused: true, maxRunning: 4, rate: '50/1s', groupMaxRunning: 1, groupRate: '10/1m' },
        upload: { paused: false, maxRunning: null, rate: '5/s', groupMaxRunning: null, groupRate: null },
      },
    })
    expect(ok(await run('limits'))).toMatch(/^TYPE\s+PAUSED\s+MAX RUNNING\s+RATE[^\n]*\nresize\s+yes\s+4\s+50\/1s\s+1\s+10\/1m\nupload\s+no\s+-\s+5\/s/)
    // One limit cleared with "none"; --clear drops every limit but keeps paused; resume then leaves nothing.
    expect(JSON.parse(ok(await run('limits', 'resize', '--rate', 'none', '--json'))).types.resize).toMatchObject({ rate: null, maxRunning: 4 })
    expect(JSON.parse(ok(await run('limits', 'resize', '--clear', '--json')))).toEqual({
      types: { resize: { paused: true, maxRunning: null, rate: null, groupMaxRunning: null, groupRate: null } },
    })
    expect(JSON.parse(ok(await run('resume', 'resize', '--json')))).toEqual({
      types: { resize: { paused: false, maxRunning: null, rate: null, groupMaxRunning: null, groupRate: null } },
    })
    ok(await run('limits', 'upload', '--clear'))
    expect(await limitsJson()).toEqual({ types: {} })
  })

  it('enqueue --group and --file lines with a group store it on the task', async () => {
    const { id } = JSON.parse(ok(await run('enqueue', 'resize', '{"n":1}', '--group', 'tenant-7', '--json'))) as { id: string }
    expect(JSON.parse(ok(await run('task', id, '--json')))).toMatchObject({ type: 'resize', group: 'tenant-7' })
    const file = join(tmp.dir, 'tasks.ndjson')
    writeFileSync(file, '{"type":"resize","payload":1,"group":"a"}\n{"type":"resize","payload":2,"options":{"group":"b"}}\n')
    const { ids } = JSON.parse(ok(await run('enqueue', '--file', file, '--json'))) as { ids: string[] }
    const groups = await Promise.all(ids.map(async (i) => (JSON.parse(ok(await run('task', i, '--json'))) as { group: string }).group))
    expect(groups).toEqual(['a', 'b'])
  })
})

describe('config types', () => {
  it('a bad limit in the config file is exit 2 with one line naming its key path and value', async () => {
    const tmp = tempDir('swarmage-cli-flow-config-')
    try {
      writeFileSync(join(tmp.dir, 'swarmage.config.mjs'), "export default { queue: 'sqlite:./q.db', workers: {}, types: { resize: { maxRunning: 2, rate: '0/1s' } } }\n")
      fails(await cli(['drone'], { cwd: tmp.dir }), 2, /swarmage\.config\.mjs: types\.resize\.rate: .*"0\/1s"/)
      fails(await cli(['limits'], { cwd: tmp.dir }), 2, /types\.resize\.rate/)
    } finally {
      tmp.cleanup()
    }
  })
})
