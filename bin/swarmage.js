#!/usr/bin/env node
// Runs the CLI from TypeScript sources through tsx, so `npx swarmage` works right after `npm install`
// with no build step to remember (and user .ts configs and workers load the same way).
import { register } from 'tsx/esm/api'
import { register as registerCjs } from 'tsx/cjs/api'

register()
// A user's swarmage.config.ts in a folder without "type": "module" is CommonJS to tsx; with only the
// ESM hooks, Node 20.19+ fails it with ERR_REQUIRE_CYCLE_MODULE. Worker processes get both hooks too
// (`--import tsx`, src/workers/fork-spawner.ts).
registerCjs()
await import('../src/cli/main.ts')
