import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

/** Files Node cannot import without a TypeScript loader. */
export const TYPESCRIPT_FILE = /\.[cm]?tsx?$/

let loading: Promise<unknown> | undefined

/**
 * Registers tsx in this process before a user's TypeScript file (a config or a queue module) is
 * imported; a no-op for JavaScript files. The compiled CLI never loads tsx for its own code (a
 * `swarmage stats` start-up pays nothing for it); running from our sources (tsx, vitest), a loader is
 * already there. tsx's main entry registers its ESM and CommonJS hooks, as `--import tsx` does, so a
 * .ts config in a folder without "type": "module" loads too.
 */
export async function typeScriptFor(file: string): Promise<void> {
  if (!TYPESCRIPT_FILE.test(file.replace(/[?#].*$/, ''))) return
  if (import.meta.url.endsWith('.ts')) return
  loading ??= (async () => {
    let entry: string
    try {
      entry = createRequire(import.meta.url).resolve('tsx')
    } catch (err) {
      throw new Error(`a TypeScript file needs tsx, a dependency of swarmage, which is not installed (${(err as Error).message.split('\n')[0]})`, { cause: err })
    }
    return import(pathToFileURL(entry).href)
  })()
  await loading
}
