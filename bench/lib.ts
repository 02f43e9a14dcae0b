/** Shared helpers for the peer benchmark: one JSON result line per runner process. */
export const PG = process.env.SWARMAGE_BENCH_PG ?? process.env.SWARMAGE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS = { host: '127.0.0.1', port: Number(process.env.SWARMAGE_BENCH_REDIS_PORT ?? 6379) }

export interface RunnerArgs {
  tasks: number
  latency: number
  mixed: number
  drones: number
}

export interface RunnerResult {
  system: string
  burnPerSec?: number
  bulkPerSec?: number
  latency?: { p50: number; p95: number; p99: number; n: number }
  mixedPerSec?: number
  workerPeakRssMb?: number
  dronePeakRssMb?: number
  /** Swarmage: the drone process's peak RSS during the burn-down alone (the target). */
  droneBurnPeakRssMb?: number
  duplicates?: number
  notes?: string
}

export function parseArgs(): RunnerArgs {
  const a = JSON.parse(process.argv[2] ?? '{}') as Partial<RunnerArgs>
  return { tasks: a.tasks ?? 50_000, latency: a.latency ?? 500, mixed: a.mixed ?? 20_000, drones: a.drones ?? 1 }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export function latencySummary(samples: number[]): { p50: number; p95: number; p99: number; n: number } {
  const s = [...samples].sort((a, b) => a - b)
  const r = (x: number) => Math.round(x * 100) / 100
  return { p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), n: s.length }
}

/** Peak RSS of this process, sampled every 50 ms (the handlers run in process for the peers). */
export function rssSampler(): { peakMb: () => number; stop: () => void } {
  let peak = process.memoryUsage().rss
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 50)
  t.unref()
  return { peakMb: () => Math.round((Math.max(peak, process.memoryUsage().rss) / 1048576) * 10) / 10, stop: () => clearInterval(t) }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** 1 KiB payload for the mixed workload. */
export function kib(i: number): { i: number; pad: string } {
  return { i, pad: 'x'.repeat(1000) }
}

export function emit(result: RunnerResult): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
}

/**
 * The latency workload, the same for every system: `n` tasks sent one at a time, 5 ms apart, to an
 * idle system, each send timed from just before the call. Returns id → send time.
 */
export async function sendSpaced(n: number, send: (id: string) => Promise<unknown>): Promise<Map<string, number>> {
  const sent = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const id = String(i)
    sent.set(id, performance.now())
    await send(id)
    await sleep(5)
  }
  return sent
}
