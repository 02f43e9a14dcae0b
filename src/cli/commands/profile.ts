import { existsSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { extname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { CONFIG_NAMES } from '../../config/load.ts'
import { InputError, errorMessage } from '../../core/errors.ts'
import type { CpuProfilePart } from '../../workers/profiling.ts'
import { commandContext, common, intOption, openCliQueue, type CommonOptions } from '../context.ts'

interface ProfileOptions extends CommonOptions {
  tasks: number
  out: string
  timeout?: number
}

/**
 * `swarmage profile TYPE --tasks N --out FILE`: runs a drone of that one type here (the config's
 * definitions for it, its drone settings, a name of its own) until N of its tasks have run under the
 * V8 CPU profiler, then drains and writes the .cpuprofile. The tasks are real: claimed from the queue
 * and finished there, as by any drone. With several processes, one file per process (FILE with the
 * worker id before its extension). Exit 0 when every process's profile was written, 1 otherwise (also
 * when --timeout ended it with no task covered), 2 for bad usage.
 */
export function registerProfile(program: Command): void {
  common(
    program
      .command('profile')
      .description("run the next N tasks of a type here, in a drone of that type only, under the V8 CPU profiler, and write the .cpuprofile (Chrome DevTools' Performance panel opens it)")
      .argument('<type>', 'task type (its worker definitions come from the config)')
      .requiredOption('--tasks <n>', 'tasks to cover, across the processes', intOption(1, 100_000))
      .requiredOption('--out <file>', 'where to write the profile (.cpuprofile)')
      .option('--timeout <ms>', 'end with what it has after this long (default 600000)', intOption(1, 86_400_000)),
  ).action(async (type: string, opts: ProfileOptions) => {
    const ctx = await commandContext(opts)
    if (!ctx.loaded) throw new InputError(`no config file: none of ${CONFIG_NAMES.join(', ')} in ${ctx.cwd}; give --config FILE`)
    const { config, baseDir } = ctx.loaded
    const defs = config.workers[type]
    if (!defs) throw new InputError(`the config has no workers for type ${type} (it has: ${Object.keys(config.workers).join(', ') || 'none'})`)
    for (const w of Array.isArray(defs) ? defs : [defs]) {
      const file = w.module.startsWith('file:') ? fileURLToPath(w.module) : resolve(baseDir, w.module)
      if (!existsSync(file)) throw new InputError(`worker "${type}": module ${file} not found`)
    }
    const out = resolve(ctx.cwd, opts.out)
    const { Drone } = await import('../../drone/drone.ts')
    const queue = await openCliQueue(ctx, { migrate: true })
    let parts: CpuProfilePart[] = []
    try {
      // A name of its own: its local queue never collides with a drone already running from this folder.
      const drone = new Drone({ queue, workers: { [type]: defs }, baseDir, drone: { ...config.drone, name: `profile-${hostname()}-${process.pid}` } })
      await drone.start()
      try {
        const run = drone.profile(type, { tasks: opts.tasks, ...(opts.timeout === undefined ? {} : { maxMs: opts.timeout }) })
        const onSignal = (): void => run.stop()
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        if (!ctx.out.json) ctx.out.text(`profiling the next ${opts.tasks} ${type} tasks in ${run.targets.map((t) => `${t.workerId} (pid ${t.pid})`).join(', ')}; Ctrl-C ends it with what it has`)
        parts = await run.done
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      } finally {
        await drone.stop()
      }
    } finally {
      await queue.close().catch(() => undefined)
    }
    const written: Array<{ file: string | null; workerId: string; pid: number; tasks: number; samples: number; bytes: number; error?: string }> = []
    for (const p of parts) {
      const file = parts.length === 1 ? out : withSuffix(out, p.workerId)
      if (p.profileJson === undefined) {
        written.push({ file: null, workerId: p.workerId, pid: p.pid, tasks: p.taskIds.length, samples: p.samples, bytes: 0, error: p.error ?? 'no profile came back' })
        continue
      }
      try {
        writeFileSync(file, p.profileJson)
        written.push({ file, workerId: p.workerId, pid: p.pid, tasks: p.taskIds.length, samples: p.samples, bytes: Buffer.byteLength(p.profileJson) })
      } catch (err) {
        written.push({ file: null, workerId: p.workerId, pid: p.pid, tasks: p.taskIds.length, samples: p.samples, bytes: 0, error: `cannot write ${file}: ${errorMessage(err)}` })
      }
    }
    if (ctx.out.json) ctx.out.doc({ type, tasks: written.reduce((n, w) => n + w.tasks, 0), profiles: written })
    else for (const w of written) ctx.out.text(w.file ? `${w.workerId} (pid ${w.pid}): ${w.tasks} tasks, ${w.samples} samples → ${w.file}` : `${w.workerId} (pid ${w.pid}): no profile: ${w.error}`)
    const failed = written.filter((w) => w.file === null)
    if (failed.length > 0) {
      process.stderr.write(`swarmage: ${failed.map((w) => `${w.workerId}: ${w.error}`).join('; ')}\n`)
      process.exitCode = 1
    } else if (written.every((w) => w.tasks === 0)) {
      process.stderr.write(`swarmage: no ${type} task ran under the profiler (none queued before it ended)\n`)
      process.exitCode = 1
    }
  })
}

function withSuffix(file: string, workerId: string): string {
  const ext = extname(file)
  const safe = workerId.replace(/[^A-Za-z0-9_.-]+/g, '_')
  return ext ? `${file.slice(0, -ext.length)}.${safe}${ext}` : `${file}.${safe}`
}
