import type pg from 'pg'
import { until } from '../../helpers.ts'
import { stateCounts } from './drones.ts'

/** Waits until no task of the schema is queued or running; returns the final counts (never throws on timeout: the figures report what was left). */
export async function settle(admin: pg.Client, schema: string, timeoutMs: number, type?: string): Promise<{ counts: Record<string, number>; settled: boolean }> {
  let counts: Record<string, number> = {}
  try {
    await until(async () => {
      counts = await stateCounts(admin, schema, type)
      return counts.queued === 0 && counts.running === 0
    }, timeoutMs, 'every task to reach a final state')
    return { counts, settled: true }
  } catch {
    return { counts, settled: false }
  }
}

/** How far past its lease (ms) the most overdue running task is, on the database clock; 0 when none. */
export async function maxOverdueMs(admin: pg.Client, schema: string): Promise<number> {
  const r = await admin.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM max(now() - lease_expires_at)) * 1000)::float8 AS ms FROM "${schema}".tasks WHERE state = 'running'`,
  )
  return Math.max(0, r.rows[0]?.ms ?? 0)
}

/** A pause chosen at random: the moment of an injected fault, not a wait for a condition. */
export function randomPause(minMs: number, maxMs: number): Promise<void> {
  return new Promise((r) => setTimeout(r, minMs + Math.random() * (maxMs - minMs)))
}
