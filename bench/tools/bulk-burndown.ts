/**
 * Drones' burn-down rate while a bulk retry runs, against the rate without it (issue #14).
 *   npx tsx bench/tools/bulk-burndown.ts [FAILED=100000] [BURN=3000] [ROUNDS=2]
 * On PostgreSQL (SWARMAGE_TEST_PG or the local test database), in a schema of its own, dropped after.
 * A/B alternated: each round burns BURN noop tasks with one drone, once alone and once while
 * `queue.bulk('retry', {state: failed, type: dead})` walks FAILED failed tasks (of a type no drone serves).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Drone } from '../../src/drone/drone.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'

const PG = process.env.SWARMAGE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test'
const FAILED = Number(process.argv[2] ?? 100_000)
const BURN = Number(process.argv[3] ?? 3000)
const ROUNDS = Number(process.argv[4] ?? 2)
const NOOP = fileURLToPath(new URL('../workers/noop.mjs', import.meta.url))
const schema = `bench_bulk_${process.pid}`

async function seedFailed(queue: Queue, admin: pg.Client): Promise<void> {
  for (let i = 0; i < FAILED; i += 5000) {
    await queue.enqueueMany(Array.from({ length: Math.min(5000, FAILED - i) }, (_, j) => ({ type: 'dead', payload: { i: i + j } })))
  }
  await admin.query(`UPDATE "${schema}".tasks SET state = 'failed', finished_at = now() WHERE type = 'dead'`)
}

async function burn(queue: Queue, dir: string, withBulk: boolean): Promise<{ rate: number; bulkMs: number | null }> {
  await queue.enqueueMany(Array.from({ length: BURN }, (_, i) => ({ type: 'burn', payload: { i } })))
  const drone = new Drone({ queue, baseDir: dir, localQueuePath: join(dir, `local-${Date.now()}.db`), workers: { burn: { module: NOOP, concurrency: 8 } } })
  let done = 0
  let resolveDone!: () => void
  const allDone = new Promise<void>((r) => (resolveDone = r))
  drone.on('event', (e: { kind: string; type?: string }) => {
    if (e.kind === 'succeeded' && e.type === 'burn' && ++done === BURN) resolveDone()
  })
  const t0 = performance.now()
  await drone.start()
  let bulkMs: number | null = null
  const bulk = withBulk
    ? queue.bulk('retry', { state: 'failed', type: 'dead' }).then(() => (bulkMs = performance.now() - t0))
    : Promise.resolve()
  await allDone
  const rate = BURN / ((performance.now() - t0) / 1000)
  await drone.stop()
  await bulk
  return { rate, bulkMs }
}

const admin = new pg.Client({ connectionString: PG })
await admin.connect()
const dir = mkdtempSync(join(tmpdir(), 'swarmage-bulk-bench-'))
const queue = await openQueue(`${PG}?schema=${schema}`, { migrate: true })
try {
  const results: Array<{ withBulk: boolean; rate: number; bulkMs: number | null }> = []
  for (let r = 0; r < ROUNDS; r++) {
    for (const withBulk of r % 2 ? [true, false] : [false, true]) {
      if (withBulk) await seedFailed(queue, admin)
      const res = await burn(queue, dir, withBulk)
      results.push({ withBulk, ...res })
      console.log(`round ${r + 1} ${withBulk ? `with bulk retry of ${FAILED}` : 'alone'}: ${res.rate.toFixed(0)} tasks/s${res.bulkMs ? ` (bulk retry done after ${(res.bulkMs / 1000).toFixed(1)} s)` : ''}`)
      await admin.query(`DELETE FROM "${schema}".tasks`)
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const alone = mean(results.filter((x) => !x.withBulk).map((x) => x.rate))
  const during = mean(results.filter((x) => x.withBulk).map((x) => x.rate))
  console.log(`burn-down: alone ${alone.toFixed(0)} tasks/s, during bulk retry ${during.toFixed(0)} tasks/s, ratio ${(during / alone).toFixed(2)}`)
} finally {
  await queue.close()
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await admin.end()
  rmSync(dir, { recursive: true, force: true })
}
