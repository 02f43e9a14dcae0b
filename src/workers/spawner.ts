import type { FromWorker, ToWorker } from './protocol.ts'

/**
 * Process spawning behind one interface: `child_process.fork` headless (fork-spawner.ts), Electron's
 * `utilityProcess` in the desktop app (src/main). Both run our host script (host.ts), which loads
 * the user's module.
 */
export interface ProcessSpawner {
  readonly kind: 'fork' | 'utility'
  spawn(options: SpawnOptions): WorkerProcessHandle
}

export interface SpawnOptions {
  /** Human-readable name: shows in `ps` / the console ("swarmage worker resize#1"). */
  name: string
  env?: Record<string, string>
  /** Run with the inspector on this port (0: any free port) so DevTools can attach. */
  inspectPort?: number
}

export interface WorkerProcessHandle {
  /** OS pid once spawned. */
  readonly pid: number | undefined
  send(message: ToWorker): void
  onMessage(listener: (message: FromWorker) => void): void
  /** Called once when the process is gone, whatever the cause. */
  onExit(listener: (code: number | null, signal: string | null) => void): void
  /** Forceful kill (SIGKILL where there is one). */
  kill(): void
}
