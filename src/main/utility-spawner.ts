/**
 * Worker processes in the desktop app: Electron `utilityProcess`es (a Node process Chromium's
 * process model knows about: named in the task manager, killed with the app, no extra Node binary).
 * Each runs out/main/worker-host.js (the host script built with tsx pre-registered, see
 * electron.vite.config.ts) and talks over `process.parentPort`, which host.ts picks by itself.
 * Only usable after app 'ready' (Electron refuses earlier); the drone spawns on demand, later.
 */
import type { UtilityProcess } from 'electron'
import type { FromWorker, ToWorker } from '../workers/protocol.ts'
import type { ProcessSpawner, SpawnOptions, WorkerProcessHandle } from '../workers/spawner.ts'

type Fork = (modulePath: string, args?: string[], options?: Electron.ForkOptions) => UtilityProcess

export interface UtilitySpawnerOptions {
  /** `utilityProcess.fork` (injected: tests pass a stand-in). */
  fork: Fork
  /** The built host script (out/main/worker-host.js). */
  hostPath: string
  /** Environment for every worker process, on top of this process's. */
  env?: Record<string, string>
}

export class UtilityProcessSpawner implements ProcessSpawner {
  readonly kind = 'utility' as const

  constructor(private readonly options: UtilitySpawnerOptions) {}

  spawn(options: SpawnOptions): WorkerProcessHandle {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...this.options.env, ...options.env })) if (v !== undefined) env[k] = v
    const child = this.options.fork(this.options.hostPath, [options.name], {
      serviceName: `swarmage worker ${options.name}`,
      // Loopback only: an inspector port open to the network runs any code sent to it.
      execArgv: options.inspectPort !== undefined ? [`--inspect=127.0.0.1:${options.inspectPort}`] : [],
      env,
      // Worker output goes where the app's goes: users debug their modules with console.log.
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    return new UtilityHandle(child)
  }
}

class UtilityHandle implements WorkerProcessHandle {
  private spawned = false
  private exited = false
  /** Messages sent before 'spawn': delivered once the process is up, in order. */
  private pending: ToWorker[] = []
  private readonly exitListeners: Array<(code: number | null, signal: string | null) => void> = []

  constructor(private readonly child: UtilityProcess) {
    child.once('spawn', () => {
      this.spawned = true
      for (const m of this.pending) child.postMessage(m)
      this.pending = []
    })
    // 'exit' follows a fatal V8 'error' too; there is no signal in Electron's exit event.
    child.once('exit', (code: number) => this.emitExit(code, null))
    child.on('error', () => undefined)
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  send(message: ToWorker): void {
    if (this.exited) return
    if (!this.spawned) this.pending.push(message)
    else this.child.postMessage(message)
  }

  onMessage(listener: (message: FromWorker) => void): void {
    this.child.on('message', (m: unknown) => listener(m as FromWorker))
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener)
  }

  /** SIGKILL by pid: UtilityProcess#kill() sends SIGTERM, which a stuck worker may ignore. */
  kill(): void {
    if (this.exited) return
    const pid = this.child.pid
    if (pid === undefined) {
      this.child.kill()
      return
    }
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone: 'exit' is on its way.
    }
  }

  private emitExit(code: number | null, signal: string | null): void {
    if (this.exited) return
    this.exited = true
    this.pending = []
    for (const listener of this.exitListeners) listener(code, signal)
  }
}
