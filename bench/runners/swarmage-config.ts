import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
/** Worker definitions of the benchmark drones: 2 no-op processes (2 cores here), wide concurrency. */
export const workers = {
  noop: { module: join(here, '../workers/noop.mjs'), processes: 2, concurrency: 64 },
  lat: { module: join(here, '../workers/noop.mjs'), processes: 1, concurrency: 64 },
  ...Object.fromEntries(['m1', 'm2', 'm3', 'm4'].map((t) => [t, { module: join(here, '../workers/mixed.mjs'), processes: 1, concurrency: 64 }])),
}
/** A deep buffer, and a first retry far enough away that the mixed run times only the first pass. */
export const droneOptions = { bufferPerWorker: 500, retryBaseMs: 60_000 }
