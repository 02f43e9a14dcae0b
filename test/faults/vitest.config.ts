import { defineConfig } from 'vitest/config'

/**
 * The fault-injection suite (issue 4): `npm run test:faults` (full sizes) or `npm run test:faults:ci`
 * (SWARMAGE_FAULTS=ci: smaller sizes, no PostgreSQL server restart). Faults need the machine to
 * themselves (2 cores here): one file at a time, in a forked process each.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
    // Regenerates docs/reliability.md from the figures this run wrote (test-results/faults/).
    globalSetup: ['test/faults/lib/global.ts'],
  },
})
