/**
 * Headless worker processes: `child_process.fork` of our host script with the tsx loader, so the
 * user's `.ts` modules load as they are. The desktop's utilityProcess spawner (src/main) reuses
 * `hostScriptPath()` and `tsxImportUrl()` to start the same host the same way.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { runnableHost } from './host-bundle.ts'
import type { FromWorker, ToWorker } from './protocol.ts'
import type { ProcessSpawner, SpawnOptions, WorkerProcessHandle } from './spawner.ts'

/**
 * The host script beside this module: `host.ts` when running from sources (tsx, vitest), `host.js`
 * from the compiled dist/. `moduleUrl` lets a bundle (electron-vite's out/main) point elsewhere.
 */
export function hostScriptPath(moduleUrl: string = import.meta.url): string {
  const dir = dirname(fileURLToPath(moduleUrl))
  return join(dir, moduleUrl.endsWith('.ts') ? 'host.ts' : 'host.js')
}

/**
 * File URL of tsx's register entry (`tsx` → dist/loader.mjs, which registers both its ESM and CJS
 * hooks, so `module.exports = fn` in a .ts/.cjs worker works too), resolved from this package rather
 * than the cwd: a drone started from any folder finds it. Pass to `--import`.
 */
export function tsxImportUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
}

/**
 * The Node flags a worker process runs with: the tsx loader (unless `tsx` is false: a JavaScript host
 * registers it itself when a worker module needs it, see host-bundle.ts), the inspector when asked,
 * and any in SWARMAGE_WORKER_NODE_ARGS (space-separated; e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
 * to profile the workers, which NODE_OPTIONS refuses).
 */
export function workerExecArgv(inspectPort?: number, tsx = true): string[] {
  const args = tsx ? ['--import', tsxImportUrl()] : []
  if (inspectPort !== undefined) args.push(`--inspect=127.0.0.1:${inspectPort}`)
  const extra = process.env.SWARMAGE_WORKER_NODE_ARGS?.trim()
  if (extra) args.push(...extra.split(/\s+/))
  return args
}

export interface ForkSpawnerOptions {
  /** Host script to fork; default `hostScriptPath()`. */
  hostPath?: string
  /** Environment for every worker process, on top of this process's. */
  env?: Record<string, string>
}

export class ForkSpawner implements ProcessSpawner {
  readonly kind = 'fork' as const
  private readonly hostPath: string
  private readonly env: Record<string, string>

  constructor(options: ForkSpawnerOptions = {}) {
    this.hostPath = options.hostPath ?? hostScriptPath()
    this.env = options.env ?? {}
  }

  spawn(options: SpawnOptions): WorkerProcessHandle {
    const js = runnableHost(this.hostPath)
    const env: Record<string, string | undefined> = { ...process.env, ...this.env, ...options.env }
    // A JavaScript host loads tsx from here when a worker module is TypeScript (load-module.ts).
    if (js) env.SWARMAGE_TSX_URL = tsxImportUrl()
    else delete env.SWARMAGE_TSX_URL
    const child = fork(js ?? this.hostPath, [options.name], {
      serialization: 'advanced',
      execArgv: workerExecArgv(options.inspectPort, js === null),
      // Worker output goes where the drone's goes: users debug with console.log.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env,
    })
    return new ForkHandle(child)
  }
}

class ForkHandle implements WorkerProcessHandle {
  private exited = false
  private readonly exitListeners: Array<(code: number | null, signal: string | null) => void> = []

  constructor(private readonly child: ChildProcess) {
    // 'close', not 'exit': it comes after the IPC channel has delivered every message the process
    // sent, so a task's last items are never overtaken by its process's death.
    child.on('close', (code, signal) => this.emitExit(code, signal))
    child.on('error', () => {
      // A failed spawn never emits 'close'; a failed send is followed by 'close' anyway.
      if (child.pid === undefined) this.emitExit(null, null)
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  send(message: ToWorker): void {
    if (!this.child.connected) return
    // The callback swallows ERR_IPC_CHANNEL_CLOSED from a racing exit; 'close' reports the exit.
    this.child.send(message, () => undefined)
  }

  onMessage(listener: (message: FromWorker) => void): void {
    this.child.on('message', (m) => listener(m as FromWorker))
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener)
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL')
  }

  private emitExit(code: number | null, signal: string | null): void {
    if (this.exited) return
    this.exited = true
    for (const listener of this.exitListeners) listener(code, signal)
  }
}
