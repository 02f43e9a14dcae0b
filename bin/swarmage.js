#!/usr/bin/env node
// Runs the CLI from TypeScript sources through tsx, so `npx swarmage` works right after `npm install`
// with no build step to remember (and user .ts configs and workers load the same way).
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
