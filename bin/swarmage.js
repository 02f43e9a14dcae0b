#!/usr/bin/env node
// `swarmage …`: the compiled CLI. tsx is loaded later, and only when a user's config, queue module or
// worker module is TypeScript (src/core/typescript.ts). From a checkout, `npm run prepare` builds
// dist/; scripts/dev-cli.js runs the sources instead.
import { existsSync } from 'node:fs'

const main = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write('swarmage: dist/cli/main.js is missing: build it with `npm run prepare` (or run scripts/dev-cli.js from a checkout)\n')
  process.exit(1)
}
await import(main.href)
