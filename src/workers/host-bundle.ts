/**
 * The worker host as one plain JavaScript file, so a worker process starts without the tsx loader.
 * Measured here (Node 20): an idle `node` is 41 MB RSS, 79–89 MB with `--import tsx` (its ESM hooks run
 * on a loader thread with its own V8 heap) and it spends ~300 ms of CPU more starting up. The host
 * registers tsx itself, only when a worker module is TypeScript (load-module.ts), so a JavaScript
 * worker never pays for it.
 *
 * From sources (host.ts), the host and the few files it imports are bundled once per drone process
 * with esbuild (tsx's own dependency; ~50 ms) into the OS temp folder, named by a hash of the output so
 * drones of different versions never share a stale bundle. From the compiled package (host.js) there is
 * nothing to do. If bundling fails, the drone falls back to host.ts under `--import tsx`.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles?: Array<{ text: string }> }
}

const bundles = new Map<string, string | null>()

/** A JavaScript file to fork for `hostPath`, or null when only the tsx loader can run it. */
export function runnableHost(hostPath: string): string | null {
  if (!/\.[cm]?ts$/.test(hostPath)) return hostPath
  if (process.env.SWARMAGE_WORKER_BUNDLE === '0') return null
  let out = bundles.get(hostPath)
  if (out === undefined) {
    try {
      out = bundle(hostPath)
    } catch (err) {
      process.stderr.write(`[swarmage] cannot bundle the worker host (${err instanceof Error ? err.message : String(err)}); workers start with the tsx loader\n`)
      out = null
    }
    bundles.set(hostPath, out)
  }
  return out
}

function bundle(hostPath: string): string {
  // esbuild comes with tsx (resolved from tsx's own folder, as tsx itself finds it).
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'))
  const esbuild = fromTsx('esbuild') as EsbuildLike
  const result = esbuild.buildSync({
    entryPoints: [hostPath],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // The host imports Node built-ins, its own files and @opentelemetry/api. The API is bundled in:
    // this file lives in the temp folder, where no node_modules resolves. Its copy still shares the
    // tracer provider a worker module registers (kept on globalThis under a versioned symbol).
  })
  const text = result.outputFiles?.[0]?.text
  if (!text) throw new Error('esbuild produced no output')
  const dir = join(tmpdir(), 'swarmage-host')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `host-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`)
  if (!existsSync(file)) {
    // Written aside then renamed: another drone starting at the same moment never reads half a file.
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  }
  return file
}
