// The library from a user's .mjs file: resolved from the project's node_modules, not this repository.
import { openQueue, Drone, defineConfig, defineWorker, PermanentError } from 'swarmage'

const queue = await openQueue('sqlite:./lib.db', { migrate: true })
const id = await queue.enqueue('echo', { from: 'library' })
const task = await queue.get(id)
await queue.close()
console.log(JSON.stringify({
  resolved: import.meta.resolve('swarmage'),
  state: task?.state,
  exports: [Drone, defineConfig, defineWorker, PermanentError].map((f) => typeof f),
}))
