import { availableParallelism, loadavg } from 'node:os'
import { formatTable } from '../core/text-table.ts'

/** One backend's figures. Rates are tasks per second; times are milliseconds; memory is MB. */
export interface BenchResult {
  backend: 'sqlite' | 'postgres'
  queue: string
  tasks: number
  processes: number
  concurrency: number
  enqueue: { tasks: number; ms: number; perSec: number }
  /** From the first claim to the last completion, measured by the drone's events. */
  burnDown: { tasks: number; ms: number; perSec: number }
  /** Enqueue call → 'started' event, tasks sent one at a time to an idle drone. */
  latency: { tasks: number; intervalMs: number; p50: number; p95: number; p99: number; max: number; claimP50: number }
  /**
   * The same burn-down by a drone with a hand-tuned buffer (10 × concurrency per process); ratio is
   * the default drone's rate ÷ the tuned one's (1 means the default capacity leaves nothing behind).
   */
  tuned?: { bufferPerWorker: number; perSec: number; ratio: number }
  /** Peak resident set sizes, sampled every 100 ms. */
  rss: { droneMb: number; workerMb: number; workersTotalMb: number }
}

export interface BenchReport {
  /** What else the machine was doing: figures taken under load are not comparable with quiet ones. */
  machine: { cores: number; loadAvg1: number; node: string }
  results: BenchResult[]
  errors: Array<{ queue: string; error: string }>
  reference: typeof REFERENCE
}

/**
 * Peers measured earlier on this machine (see the performance issue), NOT in this run: they give
 * scale only. Throughput is each project's own jobs/s benchmark; the p50 range spans the three.
 */
export const REFERENCE = {
  note: 'reference figures measured earlier on this machine, not in this run',
  throughput: [
    { name: 'graphile-worker 0.18', jobsPerSec: 16_154 },
    { name: 'BullMQ 6.7', jobsPerSec: 18_795 },
    { name: 'pg-boss 12.38', jobsPerSec: 13_776 },
  ],
  latencyP50Ms: { min: 1.35, max: 5.96 },
} as const

export function machineInfo(): BenchReport['machine'] {
  return { cores: availableParallelism(), loadAvg1: Math.round(loadavg()[0]! * 100) / 100, node: process.versions.node }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-')
const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-')

export function formatReport(report: BenchReport): string {
  const r = report.results
  const rows: Array<[string, (x: BenchResult) => string]> = [
    ['enqueue, bulk (tasks/s)', (x) => int(x.enqueue.perSec)],
    ['burn-down (tasks/s)', (x) => int(x.burnDown.perSec)],
    ['  tuned buffer, 10 × concurrency (tasks/s)', (x) => (x.tuned ? int(x.tuned.perSec) : '-')],
    ['  default ÷ tuned', (x) => (x.tuned ? x.tuned.ratio.toFixed(2) : '-')],
    ['latency p50 (ms)', (x) => ms(x.latency.p50)],
    ['latency p95 (ms)', (x) => ms(x.latency.p95)],
    ['latency p99 (ms)', (x) => ms(x.latency.p99)],
    ['  of which to claim, p50 (ms)', (x) => ms(x.latency.claimP50)],
    ['peak RSS drone (MB)', (x) => int(x.rss.droneMb)],
    ['peak RSS per worker (MB)', (x) => int(x.rss.workerMb)],
  ]
  const lines: string[] = []
  if (r.length > 0) {
    const first = r[0]!
    lines.push(
      `swarmage bench: ${int(first.tasks)} no-op tasks, ${first.processes} worker process(es) × concurrency ${first.concurrency}; ` +
        `latency over ${first.latency.tasks} tasks sent ${first.latency.intervalMs} ms apart to an idle drone`,
      '',
    )
    lines.push(formatTable(['', ...r.map((x) => x.backend)], rows.map(([label, f]) => [label, ...r.map(f)])).trimEnd())
    lines.push('')
    for (const x of r) lines.push(`${x.backend}: ${x.queue}`)
    lines.push(`machine: ${report.machine.cores} cores, load average ${report.machine.loadAvg1.toFixed(2)} at start, Node ${report.machine.node}`)
  }
  for (const e of report.errors) lines.push(`FAILED ${e.queue}: ${e.error}`)
  lines.push('')
  lines.push(`For scale, ${REFERENCE.note}:`)
  for (const p of REFERENCE.throughput) lines.push(`  ${p.name.padEnd(22)} ~${int(p.jobsPerSec)} jobs/s`)
  lines.push(`  enqueue→start p50 across them: ${REFERENCE.latencyP50Ms.min}–${REFERENCE.latencyP50Ms.max} ms`)
  return lines.join('\n') + '\n'
}
