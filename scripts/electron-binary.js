// What `npm start` needs to decide without loading `electron` (whose index.js, since Electron 42,
// starts a download when the binary is missing): is the binary installed, and is out/ up to date?
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Electron's own layout: node_modules/electron/path.txt names the executable inside
 * node_modules/electron/dist/ (ELECTRON_OVERRIDE_DIST_PATH replaces dist/, as electron/index.js allows).
 * @param {string} root the project folder
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ present: true, path: string } | { present: false, reason: string }}
 */
export function detectElectronBinary(root, env = process.env) {
  const pkgDir = join(root, 'node_modules', 'electron')
  if (!existsSync(join(pkgDir, 'package.json'))) return { present: false, reason: 'the electron package is not installed (npm install)' }
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return { present: false, reason: 'node_modules/electron/path.txt is missing (the binary was never downloaded)' }
  const relative = readFileSync(pathFile, 'utf8').trim()
  if (!relative) return { present: false, reason: 'node_modules/electron/path.txt is empty' }
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist')
  if (!existsSync(distDir)) return { present: false, reason: `${distDir} is missing` }
  const executable = join(distDir, relative)
  if (!existsSync(executable)) return { present: false, reason: `${executable} is missing` }
  return { present: true, path: executable }
}

/** The build outputs electron-vite writes, one file standing for each of main, preload, renderer. */
export const BUILD_OUTPUTS = ['out/main/index.js', 'out/main/worker-host.js', 'out/preload/index.cjs', 'out/renderer/index.html']
/** What the build reads: newer than the oldest output means a rebuild. */
export const BUILD_INPUTS = ['src', 'electron.vite.config.ts', 'package.json']

/**
 * Whether `electron-vite build` must run: an output is missing, or a source is newer than the
 * oldest output. Walks src/ (a few hundred files: milliseconds), skipping node_modules.
 * @param {string} root
 * @param {string[]} [outputs] defaults to BUILD_OUTPUTS
 */
export function isBuildStale(root, outputs = BUILD_OUTPUTS) {
  let oldest = Infinity
  for (const out of outputs) {
    const file = join(root, out)
    if (!existsSync(file)) return true
    oldest = Math.min(oldest, statSync(file).mtimeMs)
  }
  for (const input of BUILD_INPUTS) if (newestMtime(join(root, input)) > oldest) return true
  return false
}

/** @param {string} path */
function newestMtime(path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    newest = Math.max(newest, newestMtime(join(path, entry.name)))
  }
  return newest
}
