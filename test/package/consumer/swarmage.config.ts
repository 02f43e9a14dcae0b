import { defineConfig } from 'swarmage'

export default defineConfig({
  queue: 'sqlite:./q.db',
  workers: {
    echo: { module: './workers/echo.mjs' },
    shout: { module: './workers/shout.ts', concurrency: 2 },
  },
  drone: { name: 'consumer', pollMs: 200 },
})
