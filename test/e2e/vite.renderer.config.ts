/**
 * Builds the renderer alone (same root and output as electron.vite.config.ts's renderer section), so
 * the browser console and its e2e tests do not depend on the desktop build:
 *   npx vite build --config test/e2e/vite.renderer.config.ts
 * OUT_DIR overrides the output folder (the e2e setup builds into a temp folder when asked).
 */
import react from '@vitejs/plugin-react'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import { RENDERER_CSP } from '../../src/main/csp.ts'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

export default defineConfig({
  root: resolve(root, 'src/renderer'),
  // Relative asset URLs: the same files load from file:// in Electron and from / in the browser.
  base: './',
  plugins: [react(), cspMeta()],
  build: {
    outDir: process.env.OUT_DIR ?? resolve(root, 'out/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  logLevel: 'warn',
})

/** The same CSP meta tag electron.vite.config.ts adds, so this build is as strict as the real one. */
function cspMeta(): Plugin {
  return {
    name: 'swarmage-e2e:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: RENDERER_CSP }, injectTo: 'head-prepend' }],
  }
}
