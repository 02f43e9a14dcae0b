// Type-checked with tsc against the installed declarations (skipLibCheck off: they must check too).
import { openQueue, defineConfig, defineWorker, type SwarmageConfig, type Task } from 'swarmage'

const config: SwarmageConfig = defineConfig({ queue: 'sqlite:./q.db', workers: { echo: { module: './workers/echo.mjs', concurrency: 4 } } })

export const worker = defineWorker({
  async run(payload: { n: number }, ctx) {
    ctx.progress(0.5)
    return payload.n * 2
  },
})

export async function main(): Promise<Task | null> {
  const queue = await openQueue(typeof config.queue === 'string' ? config.queue : 'sqlite:./q.db')
  const id: string = await queue.enqueue('echo', { n: 1 }, { priority: 5 })
  // @ts-expect-error the types are real, not any: a priority is a number
  await queue.enqueue('echo', {}, { priority: 'high' })
  return queue.get(id)
}
