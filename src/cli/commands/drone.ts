import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import type { WorkerDefinition } from '../../core/config.ts'
import { InputError, errorMessage } from '../../core/errors.ts'
import type { DroneEvent } from '../../core/events.ts'
import { CONFIG_NAMES } from '../../config/load.ts'
import { commandContext, common, intOption, openCliQueue, type CommonOptions } from '../context.ts'
import type { Output } from '../output.ts'
import type { Drone } from '../../drone/drone.ts'
import { useDroneHeap } from '../../drone/heap.ts'
import { startMetricsServer, type MetricsServer } from '../../metrics/server.ts'
import type { Queue } from '../../queue/queue.ts'

interface DroneCliOptions extends CommonOptions {
  quiet?: boolean
  verbose?: boolean
  metricsPort?: number
  metricsHost: string
}

/** Task events shown without --verbose: what a person watching wants; claims and dispatches are noise at 10k/s. */
const QUIET_KINDS = new Set(['claimed', 'dispatched', 'progress'])

export function registerDrone(program: Command): void {
  common(program.command('drone').description('run a drone until SIGINT/SIGTERM, then drain: running tasks finish or are handed back'))
    .option('-q, --quiet', 'print nothing but errors')
    .option('-v, --verbose', 'also print claims, dispatches and progress')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (0: any free port, printed)', intOption(0, 65535))
    .option('--metrics-host <host>', 'address the metrics listen on (0.0.0.0 for a Prometheus on another machine)', '127.0.0.1')
    .action(async (opts: DroneCliOptions) => {
      const ctx = await commandContext(opts)
      if (!ctx.loaded) {
        throw new InputError(`no config file: none of ${CONFIG_NAMES.join(', ')} in ${ctx.cwd}; give --config FILE`)
      }
      const { config, baseDir, path } = ctx.loaded
      checkWorkerModules(config.workers, ctx.cwd)
      // This process is the drone's own: bound its heap (src/drone/heap.ts; an operator's own V8 heap flags win).
      useDroneHeap()
      // Loaded here, not at start-up: `swarmage tasks` need not load the drone and the worker pool.
      const { Drone } = await import('../../drone/drone.ts')
      const queue = await openCliQueue(ctx, { migrate: true })
      let failed: string | null = null
      let metricsServer: MetricsServer | null = null
      try {
        const drone = new Drone({ queue, workers: config.workers, baseDir, ...(config.drone ? { drone: config.drone } : {}), ...(config.schedules ? { schedules: config.schedules } : {}), ...(config.types ? { types: config.types } : {}) })
        if (opts.metricsPort !== undefined) {
          // Before start: a busy port fails the command before any worker process is spawned.
          metricsServer = await serveDroneMetrics(drone, queue, opts.metricsPort, opts.metricsHost)
          if (!opts.quiet) {
            if (ctx.out.json) ctx.out.doc({ metrics: metricsServer.url })
            else ctx.out.text(`metrics at ${metricsServer.url}`)
          }
        }
        const print = opts.quiet ? null : eventPrinter(ctx.out, opts.verbose === true)
        const stopped = new Promise<void>((resolve) => {
          let stopping: Promise<void> | null = null
          const stop = (why: string): void => {
            if (stopping === null) {
              if (print && !ctx.out.json && why.startsWith('SIG')) ctx.out.text(`${why}: draining (send it again to stop at once)`)
              stopping = drone.stop().then(resolve, (err: unknown) => {
                failed = `stopping failed: ${errorMessage(err)}`
                resolve()
              })
            } else {
              if (print && !ctx.out.json) ctx.out.text(`${why} again: stopping now`)
              // Escalates the drain under way; the first stop's promise still resolves us.
              void drone.stop({ mode: 'now' }).catch(() => undefined)
            }
          }
          process.on('SIGINT', () => stop('SIGINT'))
          process.on('SIGTERM', () => stop('SIGTERM'))
          // Pause/resume this drone's claiming (Drone.pause/resume: a warm standby, or one host out of the
          // pool for maintenance while its running tasks finish). A SIGUSR1 listener also keeps Node from
          // opening its inspector on that signal: debug a drone with node --inspect instead.
          const setPaused = (paused: boolean, sig: string): void => {
            if (stopping !== null) return
            if (paused) drone.pause()
            else drone.resume()
            if (ctx.out.json) ctx.out.doc({ kind: paused ? 'drone-paused' : 'drone-resumed', at: Date.now() })
            else if (!opts.quiet) ctx.out.text(paused ? `${sig}: claiming paused (tasks in hand finish; SIGUSR2 resumes)` : `${sig}: claiming resumed`)
          }
          process.on('SIGUSR1', () => setPaused(true, 'SIGUSR1'))
          process.on('SIGUSR2', () => setPaused(false, 'SIGUSR2'))
          drone.on('event', (e: DroneEvent) => {
            print?.(e)
            if (e.kind === 'drone-state' && e.state === 'failed') {
              failed = `drone failed: ${e.error?.message ?? 'unknown error'}`
              stop('failure')
            }
          })
        })
        try {
          await drone.start()
        } catch (err) {
          // A drone that failed to start (a worker module that does not load) still tidies up its
          // processes before the queue closes; 5 s bounds it.
          await Promise.race([drone.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())])
          throw err
        }
        if (print && !ctx.out.json) {
          const types = Object.entries(config.workers).map(([t, d]) => `${t}×${(Array.isArray(d) ? d : [d]).reduce((n, w) => n + (w.processes ?? 1), 0)}`)
          ctx.out.text(`drone running on ${queue.address} with ${relative(ctx.cwd, path) || path}: ${types.join(', ')}; Ctrl-C drains`)
        }
        await stopped
      } finally {
        await metricsServer?.close()
        await queue.close().catch(() => undefined)
      }
      if (failed !== null) throw new Error(failed)
    })
}

/** Watches the drone and its queue (src/metrics) and serves them; the drone elects who reads the queue-wide counts. */
async function serveDroneMetrics(drone: Drone, queue: Queue, port: number, host: string): Promise<MetricsServer> {
  const { SwarmageMetrics } = await import('../../metrics/metrics.ts')
  const metrics = new SwarmageMetrics()
  metrics.watchDrone(drone)
  // Live: a heartbeat within two lease lengths (drones send one every leaseMs / 3).
  metrics.watchQueue(queue, { electedBy: { droneId: () => drone.id, liveWithinMs: 2 * drone.settings.leaseMs } })
  try {
    return await startMetricsServer(metrics, { port, host })
  } catch (err) {
    throw new Error(`--metrics-port ${port} on ${host}: ${errorMessage(err)}`, { cause: err })
  }
}

/** A missing module is a config mistake (exit 2), found before any process is spawned. */
function checkWorkerModules(workers: Record<string, WorkerDefinition | WorkerDefinition[]>, cwd: string): void {
  for (const [type, def] of Object.entries(workers)) {
    for (const w of Array.isArray(def) ? def : [def]) {
      const file = w.module.startsWith('file:') ? fileURLToPath(w.module) : w.module
      if (!existsSync(file)) throw new InputError(`worker "${type}": module ${relative(cwd, file) || file} not found (${file})`)
    }
  }
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 23)
}

export function eventPrinter(output: Output, verbose: boolean): (e: DroneEvent) => void {
  if (output.json) return (e) => output.doc(e)
  // One event, one line: compile errors and stacks span lines.
  const out = { text: (line: string) => output.text(line.replace(/\s*\n\s*/g, ' ')) }
  return (e) => {
    const t = clock(e.at)
    switch (e.kind) {
      case 'drone-state':
        return out.text(`${t} drone ${e.state}${e.signals ? ` (wake-ups: ${e.signals})` : ''}${e.error ? `: ${e.error.message}` : ''}`)
      case 'worker-spawned':
      case 'worker-ready':
      case 'worker-exited':
      case 'worker-error': {
        const detail = e.error ? `: ${e.error.message}` : e.kind === 'worker-exited' ? ` (code ${e.code ?? '-'}, signal ${e.signal ?? '-'})` : ''
        return out.text(`${t} ${e.kind.padEnd(14)} ${e.type} ${e.workerId}${e.pid ? ` pid ${e.pid}` : ''}${detail}`)
      }
      default: {
        if (!verbose && QUIET_KINDS.has(e.kind)) return
        const parts = [t, e.kind.padEnd(11), e.type, e.taskId]
        if (e.attempt !== undefined) parts.push(`#${e.attempt}`)
        if (e.durationMs !== undefined) parts.push(`${e.durationMs} ms`)
        if (e.retryInMs !== undefined) parts.push(`retry in ${e.retryInMs} ms`)
        if (e.error) parts.push(`: ${e.error.message}`)
        if (e.log) parts.push(`[${e.log.level}] ${e.log.message}`)
        if (e.progress !== undefined && verbose) parts.push(JSON.stringify(e.progress))
        return out.text(parts.join(' '))
      }
    }
  }
}
