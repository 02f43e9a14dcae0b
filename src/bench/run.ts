import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import type { DroneEvent } from '../core/events.ts'
import type { NewTask } from '../core/task.ts'
import { Drone } from '../drone/drone.ts'
import { openQueue } from '../queue/open.ts'
import type { Queue } from '../queue/queue.ts'
import type { BenchOptions } from './options.ts'
import { percentile, type BenchResult } from './report.ts'
import { createTarget, type BenchTarget } from './target.ts'
import { tunedBurnDown } from './tuned.ts'

export const BENCH_TYPE = 'bench:noop'
/** A phase that makes no progress this long has stalled: fail rather than hang. */
const STALL_MS = 60_000
const SAMPLE_MS = 100

const noopModule = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './noop-worker.ts' : './noop-worker.js', import.meta.url))

/** Runs the three phases against an isolated copy of one backend (see target.ts); always cleans up. */
export async function runBench(address: string, options: BenchOptions): Promise<BenchResult> {
  const target = await createTarget(address)
  // Ctrl-C mid-run must not leave a temporary schema or file behind; 5 s bounds a DROP that waits on locks.
  const interrupted = (signal: NodeJS.Signals): void => {
    process.stderr.write(`${target.backend}: ${signal}: removing the temporary queue\n`)
    setTimeout(() => process.exit(130), 5_000).unref()
    void target.cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    const queue = await openQueue(target.address, { migrate: true })
    try {
      const result = await measure(target, queue, options)
      if (options.tuned === false) return result
      // Phase 4: the same burn-down by a drone with a hand-tuned buffer, beside the default one.
      const tuned = await tunedBurnDown(queue, target, options, { module: noopModule, type: BENCH_TYPE })
      options.onProgress?.(`${target.backend}: tuned (bufferPerWorker ${tuned.bufferPerWorker}) burned down ${options.tasks} at ${Math.round(tuned.perSec)}/s`)
      return { ...result, tuned: { ...tuned, ratio: Math.round((result.burnDown.perSec / tuned.perSec) * 100) / 100 } }
    } finally {
      await queue.close().catch(() => undefined)
    }
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    await target.cleanup()
  }
}

async function measure(target: BenchTarget, queue: Queue, o: BenchOptions): Promise<BenchResult> {
  const say = (line: string): void => o.onProgress?.(`${target.backend}: ${line}`)

  // Phase 1: bulk enqueue, nothing consuming.
  const tasks: NewTask[] = Array.from({ length: o.tasks }, (_, i) => ({ type: BENCH_TYPE, payload: { i } }))
  const e0 = performance.now()
  await queue.enqueueMany(tasks)
  const enqueueMs = performance.now() - e0
  say(`enqueued ${o.tasks} in ${(enqueueMs / 1000).toFixed(2)} s`)

  const drone = new Drone({
    queue,
    workers: { [BENCH_TYPE]: { module: noopModule, processes: o.processes, concurrency: o.concurrency } },
    drone: {
      name: `bench-${target.backend}`,
      localQueuePath: join(target.workDir, 'local.db'),
      // The default capacity (2 × concurrency per process, src/drone/capacity.ts): the bench measures
      // what a user gets without tuning.
    },
  })
  const rss = { drone: 0, worker: 0, workersTotal: 0 }
  const sample = (): void => {
    rss.drone = Math.max(rss.drone, process.memoryUsage().rss)
    let total = 0
    for (const p of drone.snapshot().processes) {
      const bytes = p.rssBytes ?? 0
      rss.worker = Math.max(rss.worker, bytes)
      total += bytes
    }
    rss.workersTotal = Math.max(rss.workersTotal, total)
  }
  const sampler = setInterval(sample, SAMPLE_MS)

  // Phase 2: burn-down. Clocked from the first claim, or from the moment every worker process is
  // ready if that is later, so process start-up (tsx, ~0.5 s) is not counted as queue time.
  let firstClaim = 0
  let ready = 0
  let readyAt = 0
  let done = 0
  let lastDone = 0
  let lastProgress = performance.now()
  // Phase 3 bookkeeping: 'started' seen per task id, at receipt in this process (sub-ms clock).
  const started = new Map<string, number>()
  // …and 'claimed', to tell wake-up + claim time apart from dispatch to the worker process.
  const claimed = new Map<string, number>()
  let phase: 'burn' | 'latency' = 'burn'
  let wake: (() => void) | null = null
  const failures: string[] = []
  drone.on('event', (e: DroneEvent) => {
    const now = performance.now()
    if (e.kind === 'claimed' && firstClaim === 0) firstClaim = now
    else if (e.kind === 'worker-ready' && ++ready === o.processes) readyAt = now
    else if (e.kind === 'started' && phase === 'latency') started.set(e.taskId, now)
    else if (e.kind === 'claimed' && phase === 'latency') claimed.set(e.taskId, now)
    else if (e.kind === 'succeeded' && phase === 'burn') {
      done++
      lastDone = now
      lastProgress = now
    } else if (e.kind === 'failed' || e.kind === 'worker-error') failures.push(e.error?.message ?? e.kind)
    else return
    wake?.()
  })
  const waitFor = async (what: string, ok: () => boolean, progress: () => number): Promise<void> => {
    while (!ok()) {
      if (failures.length) throw new Error(`${what}: ${failures[0]}`)
      if (performance.now() - lastProgress > STALL_MS) throw new Error(`${what} stalled: no progress for ${STALL_MS / 1000} s (${progress()} done)`)
      // Woken by the next event; the timer only bounds how late the stall check runs.
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, 1_000).unref()
      })
      wake = null
    }
  }

  try {
    await drone.start()
    await waitFor('burn-down', () => done >= o.tasks, () => done)
    const burnStart = Math.max(firstClaim, readyAt)
    const burnMs = lastDone - burnStart
    say(`burned down ${o.tasks} in ${(burnMs / 1000).toFixed(2)} s`)

    // Phase 3: latency, one task at a time to an idle drone, `intervalMs` apart.
    phase = 'latency'
    const sent = new Map<string, number>()
    lastProgress = performance.now()
    for (let i = 0; i < o.latency; i++) {
      const t0 = performance.now()
      const id = await queue.enqueue(BENCH_TYPE, { latency: i })
      sent.set(id, t0)
      lastProgress = performance.now()
      const wait = t0 + o.intervalMs - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
    await waitFor('latency', () => started.size >= o.latency, () => started.size)
    const lat = [...sent].map(([id, t0]) => (started.get(id) ?? NaN) - t0).sort((a, b) => a - b)
    const toClaim = [...sent].map(([id, t0]) => (claimed.get(id) ?? NaN) - t0).sort((a, b) => a - b)
    say(`latency p50 ${percentile(lat, 50).toFixed(2)} ms`)
    sample()
    return {
      backend: target.backend,
      queue: target.label,
      tasks: o.tasks,
      processes: o.processes,
      concurrency: o.concurrency,
      enqueue: { tasks: o.tasks, ms: round(enqueueMs), perSec: round((o.tasks / enqueueMs) * 1000) },
      burnDown: { tasks: o.tasks, ms: round(burnMs), perSec: round((o.tasks / burnMs) * 1000) },
      latency: {
        tasks: o.latency,
        intervalMs: o.intervalMs,
        p50: round(percentile(lat, 50)),
        p95: round(percentile(lat, 95)),
        p99: round(percentile(lat, 99)),
        max: round(lat[lat.length - 1] ?? NaN),
        claimP50: round(percentile(toClaim, 50)),
      },
      rss: { droneMb: mb(rss.drone), workerMb: mb(rss.worker), workersTotalMb: mb(rss.workersTotal) },
    }
  } finally {
    clearInterval(sampler)
    await drone.stop()
  }
}

const round = (n: number): number => Math.round(n * 100) / 100
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10
