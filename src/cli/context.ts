import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { loadConfig, type LoadedConfig } from '../config/load.ts'
import { defaultQueueAddress, parseQueueAddress, type QueueAddressInput } from '../queue/address.ts'
import { openQueue, type OpenQueueOptions } from '../queue/open.ts'
import type { Queue } from '../queue/queue.ts'
import { ConnectError, isConnectFailure } from './errors.ts'
import { createOutput, type Output } from './output.ts'

/** Options every queue command takes (CONTRACT.md#the-command-line). */
export interface CommonOptions {
  queue?: string
  json?: boolean
  config?: string
}

/** Adds `--queue`, `--config` and `--json` to a command. */
export function common(cmd: Command): Command {
  return cmd
    .option('--queue <addr>', 'queue address (sqlite:PATH or postgres://…); default: the config\'s queue, else $SWARMAGE_QUEUE, else sqlite:./.swarmage/swarm.db')
    .option('--config <file>', 'config file (default: swarmage.config.{ts,mjs,js,json} in the working folder)')
    .option('--json', 'print JSON (one document, or one per line for lists)')
}

export function intOption(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    const n = Number(value)
    if (n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    return n
  }
}

export function intOpt(flags: string, description: string, min: number, max?: number): Option {
  return new Option(flags, description).argParser(intOption(min, max))
}

export interface CommandContext {
  out: Output
  cwd: string
  /** The loaded config, or null when none was given or found. */
  loaded: LoadedConfig | null
  /** What the queue is opened with, in the order --queue, config, $SWARMAGE_QUEUE, default. */
  address: QueueAddressInput
  /** Folder relative queue paths are resolved against: the config's folder for its queue, else cwd. */
  baseDir: string
}

export async function commandContext(opts: CommonOptions, cwd = process.cwd()): Promise<CommandContext> {
  const loaded = await loadConfig(opts.config, cwd)
  let address: QueueAddressInput
  let baseDir = cwd
  if (opts.queue !== undefined) address = opts.queue
  else if (loaded?.config.queue !== undefined) {
    address = loaded.config.queue
    baseDir = loaded.baseDir
  } else address = defaultQueueAddress(process.env, cwd)
  return { out: createOutput(opts.json === true), cwd, loaded, address, baseDir }
}

/**
 * Opens the queue for one command, runs `fn`, and always closes it. Connection failures become one
 * line naming the (redacted) address and the cause.
 */
export async function withQueue<T>(ctx: CommandContext, fn: (queue: Queue) => Promise<T>, options: OpenQueueOptions = {}): Promise<T> {
  const queue = await openCliQueue(ctx, options)
  try {
    return await fn(queue)
  } finally {
    await queue.close().catch(() => undefined)
  }
}

export async function openCliQueue(ctx: CommandContext, options: OpenQueueOptions = {}): Promise<Queue> {
  const parsed = parseQueueAddress(ctx.address, ctx.baseDir)
  // The headless default lives in ./.swarmage/, which a first command must be able to create.
  if (parsed.kind === 'sqlite') mkdirSync(dirname(parsed.path), { recursive: true })
  const maxPayloadBytes = ctx.loaded?.config.maxPayloadBytes
  try {
    return await openQueue(ctx.address, {
      baseDir: ctx.baseDir,
      ...(maxPayloadBytes !== undefined ? { maxPayloadBytes } : {}),
      ...options,
    })
  } catch (err) {
    if (isConnectFailure(err) && !(err instanceof ConnectError)) {
      throw new ConnectError(typeof ctx.address === 'string' ? ctx.address : `module:${ctx.address.module}`, err)
    }
    throw err
  }
}
