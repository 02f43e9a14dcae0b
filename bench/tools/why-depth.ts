/**
 * `queue.why(id)` on a deep queue (issue #12): the newest of N queued tasks of one type, 21 reads, median.
 *   npx tsx bench/tools/why-depth.ts sqlite:/tmp/why.db|postgres://…?schema=NAME [N=100000]
 * The tasks ahead are counted up to WHY_AHEAD_CAP + 1; the console asks once a second per open detail.
 */
import { openQueue } from '../../src/queue/open.ts'

async function main(): Promise<void> {
  const addr = process.argv[2]
  if (!addr) throw new Error('usage: why-depth.ts ADDRESS [N]')
  const n = Number(process.argv[3] ?? 100_000)
  const q = await openQueue(addr, { migrate: true })
  try {
    for (let i = 0; i < n; i += 5000) {
      const size = Math.min(5000, n - i)
      await q.enqueueMany(Array.from({ length: size }, (_, k) => ({ type: 'bench.why', payload: { i: i + k }, options: { priority: (i + k) % 3 } })))
    }
    const [newest] = await q.list({ type: 'bench.why', limit: 1 })
    const times: number[] = []
    for (let r = 0; r < 21; r++) {
      const t0 = performance.now()
      await q.why(newest!.id)
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    console.log(`${q.kind}: queue.why, newest of ${n} queued tasks of its type: median ${times[10]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms (21 reads)`)
  } finally {
    await q.close()
  }
}

await main()
