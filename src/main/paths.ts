/**
 * Where the built app's pieces are, relative to out/main (this bundle's folder), and where the
 * example workers are: `resources/` at the project root in development, Electron's resources folder
 * (process.resourcesPath) once packaged.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface AppPaths {
  /** out/main/worker-host.js: what every worker utility process runs */
  hostPath: string
  /** out/preload/index.cjs */
  preloadPath: string
  /** out/renderer (index.html and assets), served on swarmage://app/ */
  rendererDir: string
  /** the folder holding workers/ (the example worker modules) */
  resourcesDir: string
}

export function appPaths(options: { isPackaged: boolean; appPath: string; resourcesPath: string }, mainDir = bundleDir()): AppPaths {
  return {
    hostPath: join(mainDir, 'worker-host.js'),
    preloadPath: join(mainDir, '..', 'preload', 'index.cjs'),
    rendererDir: join(mainDir, '..', 'renderer'),
    resourcesDir: options.isPackaged ? options.resourcesPath : join(options.appPath, 'resources'),
  }
}

function bundleDir(): string {
  return dirname(fileURLToPath(import.meta.url))
}
