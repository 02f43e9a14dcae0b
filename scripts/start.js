#!/usr/bin/env node
// `npm start`: the operator console as an Electron app, or, where Electron's binary cannot be had
// (offline machines: the npm package installs, its binary download does not), the same console in
// the browser, served by `swarmage console` with the example workers running.
//
// Never `require('electron')` here: since Electron 42 that starts a download when the binary is
// missing. The binary is detected from files (electron-binary.js), fetched at most once per start.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BUILD_OUTPUTS, detectElectronBinary, isBuildStale } from './electron-binary.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** A real download of Electron (~100 MB) takes 10–60 s; offline it fails in about 1 s here. */
const DOWNLOAD_TIMEOUT_MS = Number(process.env.SWARMAGE_ELECTRON_DOWNLOAD_TIMEOUT_MS ?? 90_000)
/** SWARMAGE_START_NO_BUILD=1: run what out/ holds, even if older than the sources (it must exist). */
const NO_BUILD = process.env.SWARMAGE_START_NO_BUILD === '1'

/**
 * Runs a command with our stdio, resolving with its exit code (null: killed or timed out).
 * @param {string} command @param {string[]} args
 * @param {{ quiet?: boolean, timeoutMs?: number, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<number | null>}
 */
function run(command, args, options = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: options.quiet ? 'ignore' : 'inherit',
      env: options.env ?? process.env,
    })
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined
    child.on('error', () => resolveRun(null))
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer)
      resolveRun(code)
    })
  })
}

/**
 * Runs the long-lived child (Electron or the console server) in the foreground and leaves when it
 * does, with its status. Ctrl+C reaches the child directly (the terminal signals the whole process
 * group), so SIGINT is not forwarded: a second SIGINT would tell the console to skip draining.
 * SIGTERM (sent to this pid alone, e.g. by a process manager) is forwarded.
 * @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env
 */
function foreground(command, args, env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env })
  process.on('SIGINT', () => undefined)
  process.on('SIGTERM', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  })
  child.on('error', (err) => {
    console.error(`swarmage: could not start ${command}: ${err.message}`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)))
}

/**
 * Builds out/ when `outputs` are missing or older than the sources. A failed build falls back to the
 * previous one when there is one; returns false only when there is nothing to run.
 * @param {string[]} outputs
 */
async function ensureBuilt(outputs) {
  if (!isBuildStale(root, outputs)) return true
  const previous = outputs.every((o) => existsSync(join(root, o)))
  if (NO_BUILD && previous) return true
  console.log('Building the app (out/ is missing or older than the sources)…')
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if ((await run(process.execPath, [cli, 'build', '--logLevel', 'warn'])) === 0) return true
  if (previous) console.error('swarmage: the build failed (see above); running the previous build.')
  else console.error('swarmage: the build failed (see above), and there is no earlier build to run.')
  return previous
}

async function main() {
  let binary = detectElectronBinary(root)
  if (!binary.present && process.env.SWARMAGE_ELECTRON_DOWNLOAD !== '0') {
    // One attempt, quiet (offline it prints a stack trace), bounded, and never fatal.
    const slow = setTimeout(() => console.log("Downloading Electron's binary (one attempt)…"), 3_000)
    await run(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], { quiet: true, timeoutMs: DOWNLOAD_TIMEOUT_MS })
    clearTimeout(slow)
    binary = detectElectronBinary(root)
  }

  if (binary.present) {
    if (!(await ensureBuilt(BUILD_OUTPUTS))) process.exit(1)
    const env = { ...process.env }
    // Set by some tools (and by Electron for its own children): would make Electron act as plain Node.
    delete env.ELECTRON_RUN_AS_NODE
    // --examples: the app loads the example workers of resources/ (only asked for here, never by default).
    foreground(binary.path, [root, '--examples', ...process.argv.slice(2)], env)
    return
  }

  console.log("Electron's binary is not installed here (offline?): opening the console in your browser instead")
  if (!(await ensureBuilt(['out/renderer/index.html']))) process.exit(1)
  // The console server seeds the example workers and (SWARMAGE_CONSOLE_EXAMPLES) starts a drone with
  // them on the embedded SQLite queue, with demo tasks on a first run. `npm start -- --port 0 …`
  // passes options through to `swarmage console`.
  // The sources through tsx (scripts/dev-cli.js), so a checkout needs no fresh dist/.
  const args = [join(root, 'scripts', 'dev-cli.js'), 'console', '--examples', ...process.argv.slice(2)]
  foreground(process.execPath, args, { ...process.env, SWARMAGE_CONSOLE_EXAMPLES: '1' })
}

await main()
