import { describe, expect, it } from 'vitest'
import { uuidv7 } from '../../src/core/ids.ts'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('task ids (UUID version 7)', () => {
  it('are version-7 UUIDs carrying the creation millisecond', () => {
    const before = Date.now()
    const id = uuidv7()
    const after = Date.now()
    expect(id).toMatch(V7)
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
    expect(ms).toBeGreaterThanOrEqual(before)
    expect(ms).toBeLessThanOrEqual(after + 1)
  })

  it('sort in the order they were made, even thousands in one millisecond, and never repeat', () => {
    const ids = Array.from({ length: 50_000 }, () => uuidv7())
    expect(new Set(ids).size).toBe(ids.length)
    for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) throw new Error(`out of order at ${i}: ${ids[i - 1]} ≥ ${ids[i]}`)
    for (const id of ids) if (!V7.test(id)) throw new Error(`not a version-7 UUID: ${id}`)
  })

  it('keep 62 random bits: two ids of the same millisecond differ beyond the counter', () => {
    const a = uuidv7()
    const b = uuidv7()
    // the random tail (after the variant nibble) is not a count: it differs in more than one place
    const tailA = a.slice(20)
    const tailB = b.slice(20)
    expect(tailA).not.toBe(tailB)
    expect([...tailA].filter((c, i) => c !== tailB[i]).length).toBeGreaterThan(3)
  })
})
