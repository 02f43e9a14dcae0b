/**
 * Suite mode: 'full' (the sizes where they fit in 15 minutes on 2 cores) or 'ci' (scaled down,
 * under ~6 minutes, no restart of the shared PostgreSQL server). Chosen by SWARMAGE_FAULTS.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type FaultMode = 'full' | 'ci'
export const MODE: FaultMode = process.env.SWARMAGE_FAULTS === 'ci' ? 'ci' : 'full'
export const FULL = MODE === 'full'

/** Picks a size by mode. */
export function size<T>(full: T, ci: T): T {
  return FULL ? full : ci
}

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const FIXTURES = join(ROOT, 'test/faults/fixtures')
export const LEDGER_WORKER = join(FIXTURES, 'ledger-worker.ts')
export const RESULTS_DIR = join(ROOT, 'test-results/faults')
