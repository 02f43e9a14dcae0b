/**
 * Millisecond settings stop at setTimeout's largest delay (2^31-1): 3e9 ms would fire after 1 ms
 * (Node clamps it, with a warning) and re-arm in a loop. The config schema and the console contract alike.
 */
import { describe, expect, it } from 'vitest'
import { workerDefinitionInput } from '../../src/api/contract.ts'
import { configSchema, MAX_TIMER_MS } from '../../src/core/config.ts'

const config = (drone: Record<string, number>, worker: Record<string, number> = {}): unknown => ({ workers: { t: { module: './w.js', ...worker } }, drone })

describe('millisecond settings are bounded', () => {
  it('refuses taskTimeoutMs and every other drone ms setting above 2,147,483,647 in the config', () => {
    for (const key of ['leaseMs', 'taskTimeoutMs', 'retryBaseMs', 'retryMaxMs', 'graceMs', 'pollMs']) {
      expect(configSchema.safeParse(config({ [key]: MAX_TIMER_MS })).success, key).toBe(true)
      expect(configSchema.safeParse(config({ [key]: 3e9 })).success, key).toBe(false)
    }
    expect(configSchema.safeParse(config({}, { taskTimeoutMs: 3e9 })).success).toBe(false)
  })

  it('refuses a worker definition taskTimeoutMs above the bound in the console contract', () => {
    expect(workerDefinitionInput.safeParse({ type: 't', module: './w.js', taskTimeoutMs: MAX_TIMER_MS }).success).toBe(true)
    const r = workerDefinitionInput.safeParse({ type: 't', module: './w.js', taskTimeoutMs: 3e9 })
    expect(r.success).toBe(false)
  })
})
