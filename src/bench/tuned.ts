import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { DroneEvent } from '../core/events.ts'
import { Drone } from '../drone/drone.ts'
import type { Queue } from '../queue/queue.ts'
import type { BenchOptions } from './options.ts'
import type { BenchTarget } from './target.ts'

/**
 * A hand-tuned buffer for the side-by-side burn-down: 10 × concurrency per process (issue #9 measured
 * `bufferPerWorker: 500` at concurrency 50: 12,811 tasks/s against 2,248 with the old plain 15).
 */
export const TUNED_FACTOR = 10
const STALL_MS = 60_000

export interface TunedBurnDown {
  bufferPerWorker: number
  perSec: number
}

/**
 * The same burn-down as the default drone's, by a drone with the tuned buffer, so the report shows
 * what the default capacity leaves on the table (src/drone/capacity.ts). Clocked from the first claim
 * or the last worker process ready, whichever is later, as the default run is.
 */
export async function tunedBurnDown(
  queue: Queue,
  target: BenchTarget,
  o: BenchOptions,
  workers: { module: string; type: string },
): Promise<TunedBurnDown> {
  const bufferPerWorker = Math.min(100_000, TUNED_FACTOR * o.concurrency)
  await queue.enqueueMany(Array.from({ length: o.tasks }, (_, i) => ({ type: workers.type, payload: { i } })))
  const drone = new Drone({
    queue,
    workers: { [workers.type]: { module: workers.module, processes: o.processes, concurrency: o.concurrency } },
    drone: { name: `bench-${target.backend}-tuned`, localQueuePath: join(target.workDir, 'local-tuned.db'), bufferPerWorker },
  })
  let firstClaim = 0
  let readyAt = 0
  let ready = 0
  let done = 0
  let lastDone = 0
  let failure: string | null = null
  let wake: (() => void) | null = null
  drone.on('event', (e: DroneEvent) => {
    const now = performance.now()
    if (e.kind === 'claimed' && firstClaim === 0) firstClaim = now
    else if (e.kind === 'worker-ready' && ++ready === o.processes) readyAt = now
    else if (e.kind === 'succeeded') {
      done++
      lastDone = now
    } else if (e.kind === 'failed' || e.kind === 'worker-error') failure ??= e.error?.message ?? e.kind
    else return
    wake?.()
  })
  try {
    await drone.start()
    let lastProgress = performance.now()
    let seen = 0
    while (done < o.tasks) {
      if (failure) throw new Error(`tuned burn-down: ${failure}`)
      if (done > seen) {
        seen = done
        lastProgress = performance.now()
      } else if (performance.now() - lastProgress > STALL_MS) throw new Error(`tuned burn-down stalled at ${done} tasks`)
      // Woken by the next event; the timer only bounds how late the stall check runs.
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, 1_000).unref()
      })
      wake = null
    }
    const ms = lastDone - Math.max(firstClaim, readyAt)
    return { bufferPerWorker, perSec: Math.round((o.tasks / ms) * 1000 * 100) / 100 }
  } finally {
    await drone.stop()
  }
}
