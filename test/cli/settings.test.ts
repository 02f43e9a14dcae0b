import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { tempDir } from '../helpers.ts'
import { cli } from './cli.ts'

const tmp = tempDir('swarmage-cli-settings-')
afterAll(() => tmp.cleanup())

describe('settings and --queue before the command', () => {
  it('sets the retention from the CLI, and takes --queue before the command name', async () => {
    const addr = `sqlite:${join(tmp.dir, 'q.db')}`
    const set = await cli(['--queue', addr, 'settings', '--retention', '14d', '--json'], { cwd: tmp.dir })
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({ retentionMs: 14 * 86400_000 })
    const show = await cli(['settings', '--queue', addr], { cwd: tmp.dir })
    expect(show.stdout).toMatch(/retention: 2w \(1209600000 ms\)/)
    const bad = await cli([`--queue=${addr}`, 'settings', '--retention', 'soon'], { cwd: tmp.dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--retention "soon" is not a duration/)
  }, 30_000)
})
