/** Shared helpers for the peer benchmark: one JSON result line per runner process. */
import { readFileSync, readdirSync } from 'node:fs'
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
  /** Swarmage on PostgreSQL: burn-down with every drone started (paused) before the clock */
  warmBurnPerSec?: number
  /** machine-wide CPU per task during the warm burn-down, µs, and the share of the cores busy */
  warmCpuPerTaskUs?: number
  warmBusyShare?: number
  /** the same CPU per task split by process role (cpuByRole) */
  warmCpuByRoleUs?: Record<string, number>
  bulkPerSec?: number
  latency?: { p50: number; p95: number; p99: number; n: number }
  mixedPerSec?: number
  workerPeakRssMb?: number
  dronePeakRssMb?: number
  /** Swarmage: the drone process's peak RSS during the burn-down alone (the target). */
  droneBurnPeakRssMb?: number
  duplicates?: number
  /** Swarmage, 2+ drones: peak RSS of the extra drone processes (they only run a drone, no enqueue) */
  extraDronePeakRssMb?: number
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

/**
 * Machine-wide CPU from /proc/stat (every process: drones, workers, PostgreSQL, Redis): busy and
 * idle milliseconds since boot. A diagnostic beside the rates: CPU per task tells overhead from waiting.
 */
export function machineCpuMs(): { busy: number; idle: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const tick = 10 // USER_HZ is 100 on Linux
    const idle = (f[3]! + f[4]!) * tick
    return { busy: f.slice(0, 8).reduce((a, b) => a + b, 0) * tick - idle, idle }
  } catch {
    return { busy: NaN, idle: NaN }
  }
}

/**
 * CPU milliseconds of the live processes by role: PostgreSQL backends, Swarmage worker hosts, other
 * node processes (drones, runners). A diagnostic: which part's cost per task grows with more drones.
 */
export function cpuByRole(): Record<'postgres' | 'workers' | 'drones' | 'other', number> {
  const out = { postgres: 0, workers: 0, drones: 0, other: 0 }
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ms = (Number(f[11]) + Number(f[12])) * 10
      // Worker hosts set their title ("swarmage worker <type>"), which is what comm shows.
      if (comm === 'postgres') out.postgres += ms
      else if (comm.startsWith('swarmage')) out.workers += ms
      else if (comm.startsWith('node')) out.drones += ms
      else out.other += ms
    } catch { /* gone */ }
  }
  return out
}
