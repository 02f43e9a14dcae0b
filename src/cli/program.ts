/**
 * `swarmage …` (CONTRACT.md#the-command-line). Parsing is commander's: well kept, subcommands,
 * generated help, and errors we can route through exitOverride so every failure, usage errors
 * included, is ONE line on stderr with exit status 2 (bad usage/input) or 1 (run time).
 */
import { createRequire } from 'node:module'
import { Command, CommanderError } from 'commander'
import { errorLine, exitCodeFor } from './errors.ts'
import { registerAdminCommands } from './commands/admin.ts'
import { registerBench } from './commands/bench.ts'
import { registerDrone } from './commands/drone.ts'
import { registerEnqueue } from './commands/enqueue.ts'
import { registerMcp } from './commands/mcp.ts'
import { registerFlowCommands } from './commands/flow.ts'
import { registerTaskCommands } from './commands/tasks.ts'
import { registerScheduleCommands } from './commands/schedule.ts'
import { registerSettings } from './commands/settings.ts'
import { registerReplay } from './commands/replay.ts'
import { registerProfile } from './commands/profile.ts'
import { registerWhy } from './commands/why.ts'

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }
  const program = new Command('swarmage')
    .description('A distributed task swarm: drones claim tasks from a global queue and run them in worker processes.')
    .version(version, '-V, --version')
    .showSuggestionAfterError(true)
    // Settings below are inherited by subcommands created after them.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .helpCommand(true)
  registerDrone(program)
  registerEnqueue(program)
  registerTaskCommands(program)
  registerAdminCommands(program)
  registerBench(program)
  registerScheduleCommands(program)
  registerSettings(program)
  registerFlowCommands(program)
  registerWhy(program)
  registerReplay(program)
  registerProfile(program)
  registerMcp(program)
  // The console pulls in its HTTP server and service (~0.15 s of CPU per start, measured): load it only
  // when the command line may need it, i.e. `console` itself or help.
  const words = argv.slice(2)
  if (words.length === 0 || words.some((w) => w === 'console' || w === 'help' || w === '--help' || w === '-h')) {
    const { consoleCommand } = await import('./commands/console.ts')
    consoleCommand(program)
  }
  return program
}

/** `swarmage --queue ADDR CMD …` means `swarmage CMD … --queue ADDR`: every command takes --queue. */
export function queueFirst(argv: string[]): string[] {
  const w = argv[2]
  if (w === '--queue' && argv.length > 4) return [argv[0]!, argv[1]!, ...argv.slice(4), '--queue', argv[3]!]
  if (w?.startsWith('--queue=') && argv.length > 3) return [argv[0]!, argv[1]!, ...argv.slice(3), w]
  return argv
}

export async function run(argvIn: string[]): Promise<number> {
  const argv = queueFirst(argvIn)
  try {
    const program = await buildProgram(argv)
    if (argv.length <= 2) {
      program.outputHelp()
      return 0
    }
    await program.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return 0 // --help, --version
    report(err)
    return exitCodeFor(err)
  }
}

/** One line on stderr; the stacks (with causes) only with SWARMAGE_DEBUG=1. */
export function report(err: unknown): void {
  process.stderr.write(`${errorLine(err)}\n`)
  if (process.env.SWARMAGE_DEBUG === '1') printDebug(err)
}

function printDebug(err: unknown): void {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    process.stderr.write(`${depth ? 'caused by: ' : ''}${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  }
}
