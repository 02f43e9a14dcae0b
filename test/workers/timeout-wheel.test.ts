import { describe, expect, it } from 'vitest'
import { TimeoutWheel } from '../../src/workers/timeout-wheel.ts'
import { until } from '../helpers.ts'

describe('TimeoutWheel', () => {
  it('fires each timeout once, never early, and not after delete', async () => {
    const fired: Array<{ key: string; late: number }> = []
    const due = new Map<string, number>()
    const wheel = new TimeoutWheel<string>((key) => fired.push({ key, late: Date.now() - due.get(key)! }), 10)
    const add = (key: string, ms: number) => {
      due.set(key, Date.now() + ms)
      wheel.add(key, ms)
    }
    add('a', 30)
    add('b', 60)
    add('c', 30)
    add('gone', 20)
    wheel.delete('gone')
    add('moved', 20)
    add('moved', 90) // re-added: only the later deadline counts
    await until(() => fired.length === 4, 5_000, 'four timeouts')
    expect(fired.map((f) => f.key).sort()).toEqual(['a', 'b', 'c', 'moved'])
    for (const f of fired) expect(f.late).toBeGreaterThanOrEqual(0)
    expect(wheel.size).toBe(0)
  })

  it('clear() forgets everything', async () => {
    const fired: string[] = []
    const wheel = new TimeoutWheel<string>((key) => fired.push(key), 5)
    wheel.add('x', 10)
    wheel.clear()
    wheel.add('y', 15)
    await until(() => fired.length === 1, 5_000, 'y')
    expect(fired).toEqual(['y'])
  })
})
