/**
 * Loads a user's worker module (`.js`, `.mjs`, `.cjs`, `.ts`) and normalizes its export to one shape.
 * Runs inside the worker process; TypeScript modules get the tsx loader first (registered on demand,
 * host-bundle.ts), so a dynamic import handles TypeScript and both module systems. Every failure becomes a `WorkerModuleLoadError`
 * whose message names the module path and what was wrong: the drone shows it as is.
 */
import { existsSync, statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import type { SetupContext, WorkerContext } from './api.ts'

export interface LoadedWorker {
  run(payload: unknown, ctx: WorkerContext): unknown
  setup?(config: unknown, ctx: SetupContext): unknown
  teardown?(): unknown
}

export class WorkerModuleLoadError extends Error {
  override name = 'WorkerModuleLoadError'
}

const SUPPORTED = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']

export async function loadWorkerModule(modulePath: string): Promise<LoadedWorker> {
  if (!existsSync(modulePath) || !statSync(modulePath).isFile()) {
    throw new WorkerModuleLoadError(`Worker module not found: ${modulePath}`)
  }
  if (!SUPPORTED.some((ext) => modulePath.endsWith(ext))) {
    throw new WorkerModuleLoadError(`Worker module ${modulePath} is not a ${SUPPORTED.join(', ')} file`)
  }
  let ns: Record<string, unknown>
  try {
    if (/\.[cm]?ts$/.test(modulePath)) await registerTypeScript()
    ns = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    // A SyntaxError is raised by the loader, anything else by the module's own top-level code.
    const what = e.name === 'SyntaxError' || /Transform failed/.test(e.message) ? 'does not compile' : 'threw while loading'
    throw new WorkerModuleLoadError(`Worker module ${modulePath} ${what}: ${e.name}: ${e.message}`, { cause: e })
  }
  const worker = normalize(ns)
  if (!worker) {
    throw new WorkerModuleLoadError(
      `Worker module ${modulePath} has no usable default export: expected a function, or an object with a run() method ` +
        `(found ${describe(ns.default)}${namedKeys(ns)})`,
    )
  }
  return worker
}

let tsx: Promise<unknown> | undefined
/**
 * A host started without the tsx loader (host-bundle.ts) gets it here, once, the first time a module
 * is TypeScript: importing tsx's entry registers its ESM and CommonJS hooks, as `--import tsx` does.
 */
function registerTypeScript(): Promise<unknown> {
  const url = process.env.SWARMAGE_TSX_URL
  if (!url) return Promise.resolve()
  tsx ??= import(url)
  return tsx
}

/**
 * ESM `export default`, CommonJS `module.exports = fn | { run }` (Node puts it on `default`), a
 * transpiled `exports.default` (which lands on `default.default`), or named `run`/`setup`/`teardown`.
 */
function normalize(ns: Record<string, unknown>): LoadedWorker | undefined {
  const candidates: unknown[] = [ns.default]
  const inner = ns.default
  if (inner && (typeof inner === 'object' || typeof inner === 'function') && 'default' in inner) {
    candidates.push((inner as { default: unknown }).default)
  }
  candidates.push(ns)
  for (const c of candidates) {
    if (typeof c === 'function') return { run: c as LoadedWorker['run'] }
    if (c && typeof c === 'object' && typeof (c as { run?: unknown }).run === 'function') {
      const o = c as Record<string, unknown>
      const bind = (name: string): ((...args: unknown[]) => unknown) | undefined =>
        typeof o[name] === 'function' ? (o[name] as (...args: unknown[]) => unknown).bind(o) : undefined
      const worker: LoadedWorker = { run: bind('run') as LoadedWorker['run'] }
      const setup = bind('setup')
      const teardown = bind('teardown')
      if (setup) worker.setup = setup
      if (teardown) worker.teardown = teardown
      return worker
    }
  }
  return undefined
}

function describe(value: unknown): string {
  if (value === undefined) return 'no default export'
  if (value === null) return 'default export null'
  if (typeof value === 'object') {
    const keys = Object.keys(value)
    return `a default export object with ${keys.length ? `keys ${keys.slice(0, 8).join(', ')}` : 'no keys'}`
  }
  return `a default export of type ${typeof value}`
}

function namedKeys(ns: Record<string, unknown>): string {
  const names = Object.keys(ns).filter((k) => k !== 'default' && k !== 'module.exports')
  return names.length ? `; named exports: ${names.slice(0, 8).join(', ')}` : ''
}
