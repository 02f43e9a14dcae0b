// What a CPU profile costs a burn-down of no-op tasks (alternated rounds, profiler off and on), and how big
// an idle worker's heap snapshot is (README "Profiles and heap snapshots"):  npx tsx bench/tools/profile-cost.ts [N]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Drone } from '../../src/drone/drone.ts'
import { openQueue } from '../../src/queue/open.ts'

const NOOP = join(process.cwd(), 'test/e2e/fixtures/noop.mjs')
const N = Number(process.argv[2] ?? 2000)

async function round(profile: boolean): Promise<{ ms: number; bytes?: number; samples?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-'))
  const queue = await openQueue(`sqlite:${join(dir, 'q.db')}`, { migrate: true })
  const drone = new Drone({ queue, baseDir: dir, workers: { noop: { module: NOOP, processes: 1, concurrency: 4 } } })
  await drone.start()
  const run = profile ? drone.profile('noop', { tasks: N }) : null
  let done = 0
  const finished = new Promise<void>((resolve) => drone.on('event', (e) => { if (e.kind === 'succeeded' && ++done === N) resolve() }))
  const t0 = performance.now()
  await queue.enqueueMany(Array.from({ length: N }, () => ({ type: 'noop', payload: {} })))
  await finished
  const ms = performance.now() - t0
  const parts = run ? await run.done : []
  let heap = 0
  if (!profile) heap = (await drone.heapSnapshot('noop', { write: () => undefined }).done).bytes
  await drone.stop()
  await queue.close()
  return profile ? { ms, bytes: parts[0]!.profileJson!.length, samples: parts[0]!.samples } : { ms, bytes: heap }
}

for (let i = 0; i < 3; i++) {
  const off = await round(false)
  const on = await round(true)
  console.log(`N=${N} off ${off.ms.toFixed(0)} ms (heap snapshot ${(off.bytes! / 1048576).toFixed(1)} MiB) · on ${on.ms.toFixed(0)} ms, profile ${(on.bytes! / 1024).toFixed(0)} KiB, ${on.samples} samples`)
}
