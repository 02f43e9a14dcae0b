import { availableParallelism } from 'node:os'

export interface BenchOptions {
  /** No-op tasks enqueued in bulk, then burned down. Default 50,000. */
  tasks: number
  /** Tasks sent one at a time to an idle drone for the latency figures. Default 500. */
  latency: number
  /** Worker processes. Default: the machine's cores. */
  processes: number
  /** Tasks in flight per worker process. */
  concurrency: number
  /** Gap between latency tasks, ms. Default 5. */
  intervalMs: number
  /** Also burn down with a hand-tuned buffer (bench/tuned.ts) and report default ÷ tuned. Default true. */
  tuned?: boolean
  /** Progress lines for people ("sqlite: enqueued 50000 in 2.10 s"). */
  onProgress?: (line: string) => void
}

export const BENCH_DEFAULTS = { tasks: 50_000, latency: 500, concurrency: 50, intervalMs: 5 } as const
export const defaultProcesses = (): number => Math.max(1, availableParallelism())

/** The test suite's PostgreSQL; `swarmage bench` with no --queue measures it beside SQLite. */
export const DEFAULT_BENCH_PG = 'postgres://postgres@127.0.0.1:5432/test'

/** Without --queue: a temporary SQLite file, and a temporary schema in $SWARMAGE_BENCH_PG (or the default). */
export function defaultBenchTargets(env: NodeJS.ProcessEnv = process.env): string[] {
  return ['sqlite:', env.SWARMAGE_BENCH_PG && env.SWARMAGE_BENCH_PG.trim() !== '' ? env.SWARMAGE_BENCH_PG : DEFAULT_BENCH_PG]
}
