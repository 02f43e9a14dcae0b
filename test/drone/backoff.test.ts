import { describe, expect, it } from 'vitest'
import { retryDecision, retryDelayMs } from '../../src/drone/backoff.ts'

const o = { baseMs: 1000, maxMs: 3_600_000 }

describe('retry backoff', () => {
  it('doubles per attempt, jittered into [half, full] of the ceiling', () => {
    expect(retryDelayMs(1, o, () => 1)).toBe(1000)
    expect(retryDelayMs(1, o, () => 0)).toBe(500)
    expect(retryDelayMs(2, o, () => 1)).toBe(2000)
    expect(retryDelayMs(4, o, () => 0.5)).toBe(6000)
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(3, o)
      expect(d).toBeGreaterThanOrEqual(2000)
      expect(d).toBeLessThanOrEqual(4000)
    }
  })

  it('caps at maxMs, even for huge attempt numbers', () => {
    expect(retryDelayMs(30, o, () => 1)).toBe(3_600_000)
    expect(retryDelayMs(5000, o, () => 1)).toBe(3_600_000)
    expect(retryDelayMs(5000, { baseMs: 0, maxMs: 10 }, () => 1)).toBe(0)
  })

  it('decides: permanent or exhausted → no retry (null)', () => {
    expect(retryDecision({ attempt: 1, maxAttempts: 5, permanent: true }, o)).toBeNull()
    expect(retryDecision({ attempt: 5, maxAttempts: 5, permanent: false }, o)).toBeNull()
    expect(retryDecision({ attempt: 4, maxAttempts: 5, permanent: false }, o, () => 1)).toBe(8000)
  })
})
