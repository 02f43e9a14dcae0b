import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // test/package packs and installs the package (minutes): `npm run test:package`, which .ci/run runs.
    exclude: ['test/faults/**', 'test/package/**', 'node_modules/**'],
    // Native modules (better-sqlite3) and real child processes: isolate files in forked processes.
    pool: 'forks',
    // 2 cores here; more files at once only adds contention to real PostgreSQL and worker processes.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
