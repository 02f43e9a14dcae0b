import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { SwarmageConfig, WorkerDefinition } from '../core/config.ts'
import { InputError, errorMessage } from '../core/errors.ts'
import { typeScriptFor } from '../core/typescript.ts'

/** Looked up in this order in the working folder when no `--config` is given (CONTRACT.md). */
export const CONFIG_NAMES = ['swarmage.config.ts', 'swarmage.config.mjs', 'swarmage.config.js', 'swarmage.config.json'] as const

export interface LoadedConfig {
  /** Validated, with relative worker module paths, `sqlite:` paths and localQueuePath made absolute. */
  config: SwarmageConfig
  /** The config file's folder: relative paths in it are relative to this. */
  baseDir: string
  /** Absolute path of the config file. */
  path: string
}

/** The config file to use: `path` if given (must exist), else the first of CONFIG_NAMES in `cwd`, else null. */
export function findConfig(path: string | undefined, cwd = process.cwd()): string | null {
  if (path !== undefined) {
    const abs = resolve(cwd, path)
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new InputError(`config file ${path} not found (looked at ${abs})`)
    return abs
  }
  for (const name of CONFIG_NAMES) {
    const abs = resolve(cwd, name)
    if (existsSync(abs)) return abs
  }
  return null
}

/**
 * Loads a drone configuration: `path`, or the first `swarmage.config.{ts,mjs,js,json}` in `cwd`.
 * Returns null when no path is given and none is found (commands that only need a queue go on
 * without one). `.ts`/`.mjs`/`.js` are imported (a `.ts` one through tsx, loaded for it: core/typescript.ts); `.json`
 * is parsed with errors naming the file, line and column. Every error is an InputError naming the file.
 */
export async function loadConfig(path?: string, cwd = process.cwd()): Promise<LoadedConfig | null> {
  const file = findConfig(path, cwd)
  if (file === null) return null
  const name = basename(file)
  const raw = file.endsWith('.json') ? readJson(file) : await importConfig(file)
  // zod loads only when there is a config to check (~40 ms of every `swarmage tasks` otherwise).
  const { validateConfig } = await import('../core/config.ts')
  const config = validateConfig(raw, name)
  const baseDir = dirname(file)
  return { config: resolvePaths(config, baseDir), baseDir, path: file }
}

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InputError(`${basename(file)}: invalid JSON: ${withLineColumn(errorMessage(err), text)}`, { cause: err })
  }
}

/** Node 20's JSON.parse reports "at position N"; people look for a line and column. */
function withLineColumn(message: string, text: string): string {
  const m = /at position (\d+)/.exec(message)
  if (!m || /line \d+/.test(message)) return message
  const pos = Number(m[1])
  const before = text.slice(0, pos).split('\n')
  return `${message} (line ${before.length} column ${before[before.length - 1]!.length + 1})`
}

async function importConfig(file: string): Promise<unknown> {
  let mod: Record<string, unknown>
  try {
    await typeScriptFor(file)
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (err) {
    throw new InputError(`${basename(file)} failed to load: ${firstLine(errorMessage(err))}`, { cause: err })
  }
  // `export default {…}`; a CommonJS `module.exports` arrives as default too. A default function
  // (sync or async) is called, so a config can compute itself (read env, look up files).
  let value: unknown = 'default' in mod ? mod.default : mod
  // A .ts config in a CommonJS folder is compiled to `exports.default = …`, which ESM import shows
  // as `default.default`.
  if (isObject(value) && 'default' in value && (value.__esModule === true || Object.keys(value).every((k) => k === 'default' || k === '__esModule'))) {
    value = value.default
  }
  if (typeof value === 'function') {
    try {
      value = await (value as () => unknown)()
    } catch (err) {
      throw new InputError(`${basename(file)}: the exported config function threw: ${firstLine(errorMessage(err))}`, { cause: err })
    }
  }
  return value
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '') ?? text
}

function isRelativePath(p: string): boolean {
  return p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..'
}

/**
 * CONTRACT.md: relative paths are relative to the config file. Worker modules are files, so any
 * non-absolute path that is not a URL is taken relative to the config folder.
 */
function resolvePaths(config: SwarmageConfig, baseDir: string): SwarmageConfig {
  const worker = (d: WorkerDefinition): WorkerDefinition =>
    isAbsolute(d.module) || d.module.startsWith('file:') ? d : { ...d, module: resolve(baseDir, d.module) }
  const workers: SwarmageConfig['workers'] = {}
  for (const [type, def] of Object.entries(config.workers)) workers[type] = Array.isArray(def) ? def.map(worker) : worker(def)
  let queue = config.queue
  if (typeof queue === 'string' && queue.startsWith('sqlite:')) {
    let p = queue.slice('sqlite:'.length)
    if (p.startsWith('//')) p = p.slice(2)
    if (p !== '' && p !== ':memory:' && !isAbsolute(p)) queue = `sqlite:${resolve(baseDir, p)}`
  } else if (typeof queue === 'object' && isRelativePath(queue.module)) {
    queue = { ...queue, module: resolve(baseDir, queue.module) }
  }
  const out: SwarmageConfig = { ...config, workers }
  if (queue !== undefined) out.queue = queue
  if (config.drone?.localQueuePath && !isAbsolute(config.drone.localQueuePath)) {
    out.drone = { ...config.drone, localQueuePath: resolve(baseDir, config.drone.localQueuePath) }
  }
  return out
}
