/**
 * The desktop build (electron-vite 6 on vite 8 / rolldown), output to out/:
 *
 * - out/main: ESM (package.json says "type": "module"; Electron ≥ 28 runs an ESM main). Two entries:
 *   `index` (the app) and `worker-host`, the script every worker utility process runs. We build the
 *   host rather than run src/workers/host.ts through tsx's loader because that needs `--import tsx`
 *   in the utility process's execArgv, which we cannot verify here (no Electron binary offline),
 *   whereas a built file needs no loader for our own code and works with any execArgv. The entry
 *   imports `tsx` first, so the user's `.ts` worker modules still load as they are (tested with
 *   plain Node in test/desktop/built-output.test.ts).
 *   Native and server-side packages stay external (loaded from node_modules at run time):
 *   better-sqlite3 must not be bundled (a .node binary), pg and tsx resolve files relative to
 *   themselves, and the Node-20 alias is a devDependency electron-vite would otherwise inline.
 * - out/preload/index.cjs: CommonJS, because a sandboxed preload cannot be an ES module, and a
 *   single self-contained file, because a sandboxed preload cannot `require` anything but
 *   `electron`. The preload needs only the contract's method names and channel names, but
 *   importing contract.ts drags in zod and every schema (173 kB unminified, measured); the
 *   `contractConstants` plugin swaps the module for those constants, computed here from the real
 *   contract at build time, so the preload stays ~3 kB and still cannot drift from the contract.
 * - out/renderer: the React console (root src/renderer), also served by `swarmage console`.
 */
import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import { API_METHODS, IPC_PREFIX, IPC_PUSH } from './src/api/contract.ts'
import { RENDERER_CSP } from './src/main/csp.ts'

const root = import.meta.dirname
const MAIN_EXTERNAL = ['better-sqlite3', 'better-sqlite3-node20', 'pg', 'pg-native', 'tsx', /^tsx\//]

/**
 * Puts the strict CSP in index.html as a meta tag too (main also sends it as a header): the browser
 * console serves the same files, and a page saved or opened elsewhere keeps the policy.
 */
function cspMetaTag(): Plugin {
  return {
    name: 'swarmage:csp-meta',
    // Build only: the dev server's React refresh preamble is an inline script this policy forbids.
    apply: 'build',
    transformIndexHtml(html) {
      if (html.includes('Content-Security-Policy')) return html
      return {
        html,
        tags: [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: RENDERER_CSP }, injectTo: 'head-prepend' }],
      }
    },
  }
}

/** In the preload build only: `../api/contract.ts` → its runtime constants, without zod. */
function contractConstants(): Plugin {
  const id = '\0swarmage:contract-constants'
  return {
    name: 'swarmage:contract-constants',
    // before Vite's own resolver, which would otherwise resolve the real file first
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer?.replace(/\\/g, '/').includes('/src/preload/') && source.endsWith('/api/contract.ts')) return id
      return null
    },
    load(loaded) {
      if (loaded !== id) return null
      return [
        `export const API_METHODS = ${JSON.stringify(API_METHODS)}`,
        `export const IPC_PREFIX = ${JSON.stringify(IPC_PREFIX)}`,
        `export const IPC_PUSH = ${JSON.stringify(IPC_PUSH)}`,
      ].join('\n')
    },
  }
}

export default defineConfig({
  main: {
    build: {
      externalizeDeps: { include: ['better-sqlite3-node20'] },
      rolldownOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          'worker-host': resolve(root, 'src/main/worker-host.ts'),
        },
        external: MAIN_EXTERNAL,
      },
    },
  },
  preload: {
    plugins: [contractConstants()],
    build: {
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [react(), cspMetaTag()],
    build: {
      // outDir: electron-vite's default, out/renderer (so `--outDir` moves all three together)
      // Minified: the same bundle is served to browsers by `swarmage console` (909 kB → ~390 kB).
      minify: true,
      rolldownOptions: { input: resolve(root, 'src/renderer/index.html') },
    },
  },
})
