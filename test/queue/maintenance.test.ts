import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { InputError } from '../../src/core/errors.ts'
import { openQueue } from '../../src/index.ts'
import { LEASE_EXPIRED_FORMAT, RETENTION_MAX_MS, leaseExpiredMessage } from '../../src/queue/maintenance.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'

const tmp = tempDir('swarmage-maintenance-')
const schema = uniqueSchema('retention')
afterAll(async () => {
  tmp.cleanup()
  await dropSchema(schema)
})

describe('the maintenance policy layer (src/queue/maintenance.ts)', () => {
  it('words an expired lease from one template, filling drone and attempt', () => {
    expect(LEASE_EXPIRED_FORMAT.match(/%s/g)).toHaveLength(2)
    expect(leaseExpiredMessage('alpha', 3)).toBe('lease expired: drone alpha stopped renewing it (attempt 3)')
    expect(leaseExpiredMessage(null, 1)).toBe('lease expired: drone (unknown) stopped renewing it (attempt 1)')
  })

  // The rule lives once, at the Queue's door; each backend is asked so neither stores what the other refuses.
  for (const backend of ['sqlite', 'postgres'] as const) {
    it(`checks the retention once, at the Queue, on ${backend}: refused values store nothing; the bounds pass and prune`, async () => {
      const address = backend === 'sqlite' ? `sqlite:${join(tmp.dir, 'r.db')}` : pgAddress(schema)
      const queue = await openQueue(address, { baseDir: tmp.dir, migrate: true })
      try {
        for (const bad of [-1, 1.5, Number.NaN, RETENTION_MAX_MS + 1, Number.MAX_SAFE_INTEGER, '5' as unknown as number]) {
          await expect(queue.setSettings({ retentionMs: bad }), String(bad)).rejects.toBeInstanceOf(InputError)
        }
        expect(await queue.settings()).toEqual({ retentionMs: 7 * 24 * 3600_000 })
        expect(await queue.setSettings({ retentionMs: RETENTION_MAX_MS })).toEqual({ retentionMs: RETENTION_MAX_MS })
        // The longest retention still prunes without an out-of-range date (PostgreSQL computes now() − it).
        expect(await queue.driver.taskPrune({ retentionMs: RETENTION_MAX_MS, limit: 10 })).toBe(0)
        expect(await queue.setSettings({ retentionMs: 0 })).toEqual({ retentionMs: 0 })
      } finally {
        await queue.close()
      }
    })
  }
})
