import { describe, expect, it } from 'vitest'
import { layoutPostbacks } from '../../src/renderer/src/views/flow/postback-layout.ts'

describe('postback map layout', () => {
  it('puts each type one column right of its deepest parent', () => {
    const { nodes } = layoutPostbacks([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
    ])
    expect([...nodes].map(([t, n]) => [t, n.depth])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ])
  })

  it('ends on cycles and self-loops, every type placed once', () => {
    const { nodes, width, height } = layoutPostbacks([
      { from: 'x', to: 'y' },
      { from: 'y', to: 'x' },
      { from: 'y', to: 'y' },
    ])
    expect([...nodes.keys()].sort()).toEqual(['x', 'y'])
    expect(new Set([...nodes.values()].map((n) => `${n.x},${n.y}`)).size).toBe(2)
    expect(width).toBeGreaterThan(0)
    expect(height).toBeGreaterThan(0)
  })
})
