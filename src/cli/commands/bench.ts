import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { errorMessage } from '../../core/errors.ts'
import { formatReport, machineInfo, REFERENCE, type BenchReport, type BenchResult } from '../../bench/report.ts'
import { BENCH_DEFAULTS, defaultBenchTargets, defaultProcesses, type BenchOptions } from '../../bench/options.ts'
import { redact } from '../../queue/address.ts'
import { intOpt } from '../context.ts'
import { ConnectError, isConnectFailure } from '../errors.ts'
import { createOutput } from '../output.ts'

interface BenchCliOptions {
  queue?: string
  json?: boolean
  tasks?: number
  latency?: number
  processes?: number
  concurrency?: number
  tuned?: boolean
}

const CHILD_ENV = 'SWARMAGE_BENCH_CHILD'
/**
 * A child runs the entry this process was started with (the installed bin, or scripts/dev-cli.js from
 * a checkout's sources), so it never measures another build of the code.
 */
const BIN = process.argv[1] ?? fileURLToPath(new URL('../../../bin/swarmage.js', import.meta.url))

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description("the project's throughput and latency benchmark, on an isolated temporary queue (both SQLite and PostgreSQL without --queue)")
    .option('--queue <addr>', 'measure only this backend (sqlite:PATH measures a temp file in that folder; postgres://… a temporary schema)')
    .option('--json', 'print one JSON document')
    .addOption(intOpt('--tasks <n>', `no-op tasks to enqueue and burn down (default ${BENCH_DEFAULTS.tasks})`, 1, 10_000_000))
    .addOption(intOpt('--latency <n>', `tasks sent one at a time for the latency figures (default ${BENCH_DEFAULTS.latency})`, 1, 100_000))
    .addOption(intOpt('--processes <p>', 'worker processes (default: the number of cores)', 1, 256))
    .addOption(intOpt('--concurrency <c>', `tasks in flight per worker process (default ${BENCH_DEFAULTS.concurrency})`, 1, 10_000))
    .option('--no-tuned', 'skip the second burn-down by a drone with a hand-tuned buffer (10 × concurrency)')
    .action(async (opts: BenchCliOptions) => {
      const out = createOutput(opts.json === true)
      const options: BenchOptions = {
        tasks: opts.tasks ?? BENCH_DEFAULTS.tasks,
        latency: opts.latency ?? BENCH_DEFAULTS.latency,
        processes: opts.processes ?? defaultProcesses(),
        concurrency: opts.concurrency ?? BENCH_DEFAULTS.concurrency,
        intervalMs: BENCH_DEFAULTS.intervalMs,
        tuned: opts.tuned !== false,
        // A child run (benchInChild) reports progress on stderr even with --json; its parent passes it on.
        ...(opts.json && process.env[CHILD_ENV] !== '1' ? {} : { onProgress: (line: string) => process.stderr.write(`${line}\n`) }),
      }
      const report: BenchReport = { machine: machineInfo(), results: [], errors: [], reference: REFERENCE }
      if (opts.queue !== undefined) {
        // Loaded here, not at start-up: the drone and the worker pool stay out of every other command.
        const { runBench } = await import('../../bench/run.ts')
        try {
          report.results.push(await runBench(opts.queue, options))
        } catch (err) {
          throw isConnectFailure(err) ? new ConnectError(opts.queue, err) : err
        }
      } else {
        // Each backend in a fresh process: peak RSS and the JIT state of one run do not leak into the next.
        for (const address of defaultBenchTargets()) {
          try {
            report.results.push(await benchInChild(address, options))
          } catch (err) {
            report.errors.push({ queue: redact(address), error: errorMessage(err) })
          }
        }
      }
      if (out.json) out.doc(report)
      else process.stdout.write(formatReport(report))
      if (report.errors.length > 0) process.exitCode = 1
    })
}

function benchInChild(address: string, o: BenchOptions): Promise<BenchResult> {
  const args = [BIN, 'bench', '--json', '--queue', address, '--tasks', `${o.tasks}`, '--latency', `${o.latency}`]
  args.push('--processes', `${o.processes}`, '--concurrency', `${o.concurrency}`)
  if (o.tuned === false) args.push('--no-tuned')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [CHILD_ENV]: '1' } })
    let stdout = ''
    let stderr = ''
    let lastError = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      // Whole lines only, as they come: "sqlite: enqueued 50000 in 2.10 s".
      const lines = stderr.split('\n')
      stderr = lines.pop()!
      for (const line of lines) {
        if (line.startsWith('swarmage: ')) lastError = line.slice('swarmage: '.length)
        else if (line.trim() !== '') o.onProgress?.(line)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (stderr.startsWith('swarmage: ')) lastError = stderr.slice('swarmage: '.length).trim()
      if (code !== 0) return reject(new Error(lastError || `exit status ${code}`))
      try {
        const report = JSON.parse(stdout) as BenchReport
        const result = report.results[0]
        if (!result) return reject(new Error(report.errors[0]?.error ?? 'no result'))
        resolve(result)
      } catch (err) {
        reject(new Error(`unreadable result: ${errorMessage(err)}`))
      }
    })
  })
}
