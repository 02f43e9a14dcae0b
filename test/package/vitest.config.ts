import { defineConfig } from 'vitest/config'

/**
 * The package as a user installs it (test/package/install.test.ts): `npm run test:package`, run by
 * .ci/run after `npm test`. Its own config: it packs the repository (prepare rebuilds dist/ and out/,
 * which other test files read) and compiles better-sqlite3 12 from source (about a minute per Node).
 */
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    // pack + two installs in parallel, each compiling better-sqlite3 12 (~1 min alone, more under load)
    hookTimeout: 600_000,
  },
})
