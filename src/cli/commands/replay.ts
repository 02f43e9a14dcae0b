import { existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import type { WorkerDefinition } from '../../core/config.ts'
import { InputError } from '../../core/errors.ts'
import type { Task } from '../../core/task.ts'
import type { ReplayEvent, ReplayLog, ReplayResult } from '../../debug/replay.ts'
import { commandContext, common, withQueue, type CommandContext, type CommonOptions } from '../context.ts'
import { shortTime } from '../output.ts'

interface ReplayOptions extends CommonOptions {
  worker?: string
  inspect?: string | true
  payload?: string
}

/** The contract's default task timeout (drone.taskTimeoutMs), for a replay without --inspect. */
const DEFAULT_TIMEOUT_MS = 60_000

/**
 * `swarmage replay ID` (CONTRACT.md "Debugging"; src/debug/replay.ts): the task is read, the queue
 * closed, and only then the handler runs, so nothing the run does can reach the queue. Exit 0 when
 * the handler returned, 1 when it threw; bad input (id, --worker, --payload, --inspect) is 2.
 */
export function registerReplay(program: Command): void {
  common(
    program
      .command('replay')
      .description('run a task once in a fresh worker process on this machine; nothing is written to its queue (postbacks are printed, not enqueued)')
      .argument('<id>', 'task id')
      .option('--worker <file>', "worker module to run (default: the config's module for the task's type)")
      .option('--inspect [port]', 'start the inspector (default port 9229; 0 = any free port) and wait for a debugger before the handler runs')
      .option('--payload <json>', "run with this payload instead of the task's"),
  ).action(async (id: string, opts: ReplayOptions) => {
    const inspectPort = parseInspect(opts.inspect)
    const payload = opts.payload === undefined ? undefined : parsePayload(opts.payload)
    const ctx = await commandContext(opts)
    const workerFile = opts.worker === undefined ? undefined : workerPath(opts.worker, ctx.cwd)
    // migrate: false — a replay never writes, not even a schema upgrade.
    const task = await withQueue(ctx, (queue) => queue.mustGet(id), { migrate: false })
    const def = definitionFor(ctx, task.type)
    const modulePath = workerFile ?? moduleOf(def, task.type)
    const timeoutMs = inspectPort !== undefined ? 0 : (def?.taskTimeoutMs ?? ctx.loaded?.config.drone?.taskTimeoutMs ?? DEFAULT_TIMEOUT_MS)
    // Loaded here: the spawner is not every command's start-up cost.
    const { replay } = await import('../../debug/replay.ts')
    const result = await replay({
      task,
      modulePath,
      config: def?.config,
      ...(payload !== undefined ? { payload: payload.value } : {}),
      ...(inspectPort !== undefined ? { inspectPort } : {}),
      timeoutMs,
      ...(ctx.out.json ? {} : { onEvent: (e: ReplayEvent) => printEvent(ctx, e) }),
    })
    if (ctx.out.json) {
      const { outcome, ...rest } = result
      ctx.out.doc({ id: task.id, type: task.type, module: modulePath, outcome, ...rest })
    }
    else printResult(ctx, task, result)
    if (result.outcome === 'failed') {
      process.stderr.write(`swarmage: the handler threw: ${(result.error?.message ?? 'failed').replace(/\s*\n\s*/g, ' ')}\n`)
      process.exitCode = 1
    }
  })
}

function parseInspect(value: string | true | undefined): number | undefined {
  if (value === undefined) return undefined
  if (value === true) return 9229
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN
  if (!(port >= 0 && port <= 65535)) throw new InputError(`--inspect ${JSON.stringify(value)} is not a port: expected an integer from 0 to 65535 (give the task id before --inspect, or --inspect=PORT)`)
  return port
}

function parsePayload(text: string): { value: unknown } {
  try {
    return { value: JSON.parse(text) as unknown }
  } catch (err) {
    throw new InputError(`--payload is not valid JSON: ${(err as Error).message}`)
  }
}

function workerPath(file: string, cwd: string): string {
  const abs = file.startsWith('file:') ? fileURLToPath(file) : resolve(cwd, file)
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new InputError(`--worker ${file} not found (looked at ${abs})`)
  return abs
}

/** The config's definition for the type: the first when it has several (their config may differ). */
function definitionFor(ctx: CommandContext, type: string): WorkerDefinition | undefined {
  const defs = ctx.loaded?.config.workers[type]
  return Array.isArray(defs) ? defs[0] : defs
}

function moduleOf(def: WorkerDefinition | undefined, type: string): string {
  if (!def) throw new InputError(`no worker module for type ${type}: give --worker FILE, or a config (--config) with workers.${type}`)
  const m = def.module
  return m.startsWith('file:') ? fileURLToPath(m) : isAbsolute(m) ? m : resolve(m)
}

function printEvent(ctx: CommandContext, e: ReplayEvent): void {
  switch (e.kind) {
    case 'waiting-for-debugger':
      ctx.out.text(`inspector: ${e.inspectUrl} (waiting for a debugger: chrome://inspect, or VS Code "Attach"; it pauses just before the handler)`)
      return
    case 'ready':
      return
    case 'log':
      ctx.out.text(logLine(e))
      return
    case 'postback':
      ctx.out.text(`would enqueue ${e.type} ${JSON.stringify(e.payload)}${Object.keys(e.options).length ? ` ${JSON.stringify(e.options)}` : ''} (not enqueued; the handler got id ${e.id})`)
      return
    case 'progress':
      ctx.out.text(`progress ${JSON.stringify(e.value)}`)
      return
    case 'started':
      return
  }
}

function logLine(l: ReplayLog): string {
  const tag = l.stream === 'log' ? l.level : l.stream
  return `${shortTime(l.at)} ${tag.padEnd(6)} ${l.message}${l.data === undefined ? '' : ` ${JSON.stringify(l.data)}`}`
}

function printResult(ctx: CommandContext, task: Task, r: ReplayResult): void {
  const took = r.durationMs === null ? '' : ` in ${r.durationMs} ms`
  if (r.outcome === 'succeeded') {
    ctx.out.text(`returned${took} (task ${task.id}, attempt ${r.attempt}): ${JSON.stringify(r.result)}`)
    return
  }
  ctx.out.text(`threw${took} (task ${task.id}, attempt ${r.attempt}): ${r.error?.message ?? ''}`)
  if (r.error?.stack) ctx.out.text(r.error.stack)
}
