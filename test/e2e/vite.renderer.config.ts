/**
 * Builds the renderer alone (same root and output as electron.vite.config.ts's renderer section), so
 * the browser console and its e2e tests do not depend on the desktop build:
 *   npx vite build --config test/e2e/vite.renderer.config.ts
 * OUT_DIR overrides the output folder (the e2e setup builds into a temp folder when asked).
 */
import react from '@vitejs/plugin-react'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

export default defineConfig({
  root: resolve(root, 'src/renderer'),
  // Relative asset URLs: the same files load from file:// in Electron and from / in the browser.
  base: './',
  plugins: [react()],
  build: {
    outDir: process.env.OUT_DIR ?? resolve(root, 'out/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  logLevel: 'warn',
})
