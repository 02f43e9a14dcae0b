import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.ts'
import { cli } from './cli.ts'

const tmp = tempDir('swarmage-cli-bench-')
afterAll(() => tmp.cleanup())

// A functional test (it runs and reports), not a timed one: figures depend on the machine's load.
describe('swarmage bench', () => {
  it('measures a small run on SQLite, prints the figures beside the reference ones, and cleans up', async () => {
    const r = await cli(['bench', '--queue', `sqlite:${join(tmp.dir, 'any.db')}`, '--tasks', '500', '--latency', '20', '--processes', '1'], {
      cwd: tmp.dir,
    })
    expect(r.code, r.stderr).toBe(0)
    const row = (label: string): number => {
      const m = new RegExp(`^${label.replace(/[()/]/g, '\\$&')}\\s+([\\d,.]+)$`, 'm').exec(r.stdout)
      expect(m, `${label} in\n${r.stdout}`).not.toBeNull()
      return Number(m![1]!.replace(/,/g, ''))
    }
    expect(r.stdout).toMatch(/500 no-op tasks, 1 worker process\(es\)/)
    expect(row('enqueue, bulk (tasks/s)')).toBeGreaterThan(0)
    expect(row('burn-down (tasks/s)')).toBeGreaterThan(0)
    // beside it, the same burn-down by a drone with a hand-tuned buffer, and the ratio
    expect(row('  tuned buffer, 10 × concurrency (tasks/s)')).toBeGreaterThan(0)
    expect(row('  default ÷ tuned')).toBeGreaterThan(0)
    expect(r.stderr).toMatch(/sqlite: tuned \(bufferPerWorker 500\) burned down 500/)
    const p50 = row('latency p50 (ms)')
    const p99 = row('latency p99 (ms)')
    expect(p50).toBeGreaterThan(0)
    expect(p99).toBeGreaterThanOrEqual(p50)
    expect(row('peak RSS drone (MB)')).toBeGreaterThan(10)
    expect(row('peak RSS per worker (MB)')).toBeGreaterThan(10)
    expect(r.stdout).toMatch(/reference figures measured earlier on this machine, not in this run/)
    expect(r.stdout).toMatch(/graphile-worker 0\.18 +~16,154 jobs\/s/)
    // Progress went to stderr; the temporary database is gone.
    expect(r.stderr).toMatch(/sqlite: burned down 500/)
    expect(readdirSync(tmp.dir)).toEqual([])
  })
})
