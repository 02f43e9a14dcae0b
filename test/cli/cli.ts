import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

/** The real CLI from its sources: `node scripts/dev-cli.js …` (tsx, ~0.5 s a start; the compiled bin is test/package's). */
export const BIN = fileURLToPath(new URL('../../scripts/dev-cli.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  cwd: string
  env?: Record<string, string | undefined>
  input?: string
}

export function startCli(args: string[], options: CliOptions): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env }
  delete env.SWARMAGE_QUEUE
  if (options.env?.SWARMAGE_QUEUE) env.SWARMAGE_QUEUE = options.env.SWARMAGE_QUEUE
  delete env.SWARMAGE_DEBUG
  return spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
}

export function collect(child: ChildProcess, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin!.end(input ?? '')
  })
}

export function cli(args: string[], options: CliOptions): Promise<CliResult> {
  return collect(startCli(args, options), options.input)
}

/** Exit 0, nothing on stderr. */
export function ok(r: CliResult): string {
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return r.stdout
}

/** A CONTRACT.md error: the given status, exactly one line on stderr, no stack trace, nothing on stdout. */
export function fails(r: CliResult, code: number, pattern: RegExp): string {
  expect(r.stdout).toBe('')
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^swarmage: /)
  expect(lines[0]).not.toMatch(/\n\s+at |\bat .*\.ts:\d+/)
  expect(lines[0]).toMatch(pattern)
  expect(r.code).toBe(code)
  return lines[0]!
}

export function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown)
}
