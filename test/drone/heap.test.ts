import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { heapBoundSupported, operatorSizedHeap, SEMI_SPACE_MB } from '../../src/drone/heap.ts'

const FIXTURE = join(import.meta.dirname, 'fixtures', 'heap-churn.ts')

/** Runs the churn fixture in a node of its own (V8's flags are per process) and returns its report. */
function churn(nodeArgs: string[], arg = 'on', nodeOptions = ''): { applied: boolean; maxNewSpaceMB: number } {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions }
  const out = execFileSync(process.execPath, [...nodeArgs, '--import', 'tsx', FIXTURE, arg], { env, encoding: 'utf8', timeout: 60_000 })
  return JSON.parse(out.trim().split('\n').pop()!) as { applied: boolean; maxNewSpaceMB: number }
}

describe('drone heap bound (src/drone/heap.ts)', () => {
  // On V8 11 (Node 20, 21) the bound holds the young generation; on a V8 where the run-time flags are
  // unverified (12+: Node 22, 24) it changes nothing. Both are asserted on whichever node runs this.
  it('holds the young generation at its bound where V8 alone grows it to 32 MB (V8 11), or changes nothing (later V8s)', () => {
    const free = churn([], 'off')
    expect(free.applied).toBe(false)
    expect(free.maxNewSpaceMB).toBeGreaterThan(2 * SEMI_SPACE_MB)
    const bound = churn([])
    expect(bound.applied).toBe(heapBoundSupported())
    if (!heapBoundSupported()) return
    // Let grow up to the bound (two semi-spaces), never past it.
    expect(bound.maxNewSpaceMB).toBeLessThanOrEqual(2 * SEMI_SPACE_MB)
    expect(bound.maxNewSpaceMB).toBeGreaterThan(2)
  })

  it("leaves V8 as the operator set it when they gave a heap flag of their own", () => {
    const own = churn(['--max-semi-space-size=1'])
    expect(own.applied).toBe(false)
    expect(own.maxNewSpaceMB).toBeLessThanOrEqual(2)
    expect(churn([], 'on', '--max-semi-space-size=16').applied).toBe(false)
  })

  it('recognises heap flags in either spelling, on the command line or in NODE_OPTIONS', () => {
    expect(operatorSizedHeap(['--max_semi_space_size=8'], '')).toBe(true)
    expect(operatorSizedHeap([], '--optimize-for-size')).toBe(true)
    expect(operatorSizedHeap(['--heap-growing-percent=20'], '')).toBe(true)
    expect(operatorSizedHeap(['--max-old-space-size=512', '--import', 'tsx'], '--enable-source-maps')).toBe(false)
    expect(heapBoundSupported('11.3.244.8-node.33')).toBe(true)
    expect([heapBoundSupported('12.4.254.21-node.33'), heapBoundSupported('13.6.233.10-node.24')]).toEqual([false, false])
  })
})
