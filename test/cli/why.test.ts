import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { openQueue } from '../../src/queue/open.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'
import { cli, fails, ok } from './cli.ts'

// `swarmage why ID` (CONTRACT.md "Debugging"): one reason a line, --json {state, reasons}, exit statuses.
const tmp = tempDir('swarmage-cli-why-')
const schema = uniqueSchema('cli_why')
afterAll(async () => {
  await dropSchema(schema)
  tmp.cleanup()
})

const queues: Array<[string, string]> = [
  ['sqlite', `sqlite:${join(tmp.dir, 'q.db')}`],
  ['postgres', pgAddress(schema)],
]

describe.each(queues)('swarmage why on %s', (_name, addr) => {
  const run = (...args: string[]) => cli([...args, '--queue', addr], { cwd: tmp.dir })

  it('prints one reason a line, the same reasons as JSON, and exit 2 for a bad id', async () => {
    ok(await run('migrate'))
    const { id } = JSON.parse(ok(await run('enqueue', 'report', '{"n":1}', '--delay', '600000', '--json'))) as { id: string }
    // Paused through the library (the pause command is another issue's).
    const queue = await openQueue(addr)
    await queue.setTypeSettings('report', { paused: true })
    await queue.close()

    const lines = ok(await run('why', id)).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^run-at: waiting for runAt \S+ \(in (9 min 5\d s|10 min 0 s)\)$/)
    expect(lines[1]).toBe('type-paused: type report is paused (`swarmage resume report`)')
    expect(lines[2]).toBe('no-drone: no live drone serves type report (no drone is live)')

    const doc = JSON.parse(ok(await run('why', id, '--json'))) as { state: string; reasons: Array<{ code: string; message: string; waitMs?: number }> }
    expect(doc.state).toBe('queued')
    expect(doc.reasons.map((r) => r.code)).toEqual(['run-at', 'type-paused', 'no-drone'])
    expect(doc.reasons[0]!.waitMs).toBeGreaterThan(500_000)

    ok(await run('cancel', id))
    expect(JSON.parse(ok(await run('why', id, '--json')))).toMatchObject({ state: 'cancelled', reasons: [{ code: 'cancelled' }] })

    fails(await run('why', '00000000-0000-4000-8000-000000000000'), 2, /no task with id 00000000-0000-4000-8000-000000000000/)
    fails(await run('why'), 2, /missing required argument 'id'/)
  }, 60_000)
})
