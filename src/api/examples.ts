/**
 * The example workers in resources/workers (seeded as worker definitions on a first launch) and the
 * demo tasks `tasks.demo` enqueues across them.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NewTask } from '../core/task.ts'

export const EXAMPLE_TYPES = ['cpu', 'io', 'fanout', 'flaky'] as const
export type ExampleType = (typeof EXAMPLE_TYPES)[number]

/**
 * Whether this run asked for the example workers: `--examples` on the command line (npm start passes
 * it, to Electron and to `swarmage console`) or SWARMAGE_CONSOLE_EXAMPLES=1. Without it the console
 * offers no example definitions (issue 16).
 */
export function examplesRequested(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--examples') || env.SWARMAGE_CONSOLE_EXAMPLES === '1'
}

/** Processes and concurrency the seeded definitions get: enough to look alive on 2 cores. */
export const EXAMPLE_SETTINGS: Record<ExampleType, { processes: number; concurrency: number }> = {
  cpu: { processes: 1, concurrency: 1 },
  io: { processes: 1, concurrency: 50 },
  fanout: { processes: 1, concurrency: 10 },
  flaky: { processes: 1, concurrency: 20 },
}

/**
 * resources/workers of the package: src/api → ../../resources/workers when running from sources
 * (tsx, tests, the CLI). The built Electron app bundles this file elsewhere, so its main process
 * passes its resources path (ConsoleService option `examplesDir`).
 */
export function defaultExamplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'resources', 'workers')
    if (existsSync(join(candidate, 'io.mjs'))) return candidate
    dir = dirname(dir)
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../resources/workers')
}

/** Absolute module path of every example worker, by type. */
export function exampleWorkerPaths(examplesDir = defaultExamplesDir()): Record<ExampleType, string> {
  return {
    cpu: join(examplesDir, 'cpu.mjs'),
    io: join(examplesDir, 'io.mjs'),
    fanout: join(examplesDir, 'fanout.mjs'),
    flaky: join(examplesDir, 'flaky.mjs'),
  }
}

/**
 * `count` demo tasks spread over the example types (40 % io, 25 % cpu, 20 % flaky, 15 % fanout), with
 * payloads that finish in well under a second each so a demo batch visibly flows and drains.
 */
export function demoTasks(count: number, random: () => number = Math.random): NewTask[] {
  const tasks: NewTask[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const r = random()
    if (r < 0.4) tasks[i] = { type: 'io', payload: { ms: 20 + Math.floor(random() * 400) } }
    else if (r < 0.65) tasks[i] = { type: 'cpu', payload: { rounds: 200 + Math.floor(random() * 1800), bytes: 4096 } }
    else if (r < 0.85) tasks[i] = { type: 'flaky', payload: { failRate: 0.3, ms: 10 + Math.floor(random() * 100) }, options: { maxAttempts: 3 } }
    else tasks[i] = { type: 'fanout', payload: { children: 1 + Math.floor(random() * 4), ms: 50 } }
  }
  return tasks
}
