#!/usr/bin/env node
// The CLI from this repository's TypeScript sources, through tsx: what the tests and `npm start` run,
// so they never test a stale dist/. The published package's bin (bin/swarmage.js) runs compiled
// JavaScript and never loads tsx for its own code.
import { register } from 'tsx/esm/api'
import { register as registerCjs } from 'tsx/cjs/api'

register()
// A user's swarmage.config.ts in a folder without "type": "module" is CommonJS to tsx; with only the
// ESM hooks, Node 20.19+ fails it with ERR_REQUIRE_CYCLE_MODULE.
registerCjs()
await import('../src/cli/main.ts')
