import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { tempDir } from '../helpers.ts'
import { cli } from './cli.ts'

// `swarmage retry|cancel|delete --filter …` through the real CLI (CONTRACT.md "Operations").
const tmp = tempDir('swarmage-cli-bulk-')
afterAll(() => tmp.cleanup())

describe('bulk verbs on the command line', () => {
  it('refuses without an id or --filter, dry-runs, then acts on the matching tasks only', async () => {
    const q = ['--queue', `sqlite:${join(tmp.dir, 'q.db')}`]
    const run = (...a: string[]) => cli([...a, ...q], { cwd: tmp.dir })
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ type: i < 20 ? 'x' : 'y', payload: { i } })).join('\n')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(tmp.dir, 't.ndjson'), `${lines}\n`)
    expect((await run('enqueue', '--file', join(tmp.dir, 't.ndjson'))).code).toBe(0)

    const none = await run('cancel')
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/give a task id, or --filter/)
    const noFilter = await run('cancel', '--type', 'x')
    expect(noFilter.code).toBe(2)
    expect(noFilter.stderr).toMatch(/--type needs --filter/)
    const badState = await run('retry', '--filter', '--state', 'nope')
    expect(badState.code).toBe(2)
    expect(badState.stderr).toMatch(/unknown state "nope"/)

    const dry = await run('cancel', '--filter', '--type', 'x', '--dry-run', '--json')
    expect(dry.code).toBe(0)
    expect(JSON.parse(dry.stdout.trim().split('\n').pop()!)).toEqual({ matched: 20, changed: 0 })

    const cancel = await run('cancel', '--filter', '--type', 'x', '--batch-size', '7', '--json')
    expect(cancel.code).toBe(0)
    expect(JSON.parse(cancel.stdout.trim().split('\n').pop()!)).toEqual({ matched: 20, changed: 20 })
    expect(cancel.stderr.split('\n').filter((l) => l.startsWith('cancel:')).length).toBe(3) // progress per batch

    const del = await run('delete', '--filter', '--state', 'cancelled')
    expect(del.code).toBe(0)
    expect(del.stdout).toMatch(/20 matched, 20 deleted/)
    const stats = JSON.parse((await run('stats', '--json')).stdout) as { types: Record<string, Record<string, number>> }
    expect(stats.types.y).toMatchObject({ queued: 10 })
    expect(stats.types.x?.cancelled ?? 0).toBe(0)
  }, 60_000)
})
