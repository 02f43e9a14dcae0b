// One extra drone process for the multi-drone runs: says it is ready, starts on 'go' (cold) or starts
// paused and resumes on 'go' (warm), stops on SIGTERM (draining).
import { Drone, openQueue } from '../../src/index.ts'
import { useDroneHeap } from '../../src/drone/heap.ts'
import { droneOptions, workers } from './swarmage-config.ts'

// As `swarmage drone` runs: a drone process with its heap bound (docs/performance.md "Fourth round — memory").
useDroneHeap()

const [address, localQueuePath, mode = 'cold'] = process.argv.slice(2)
const queue = await openQueue(address!, { migrate: true })
// Only the no-op workers: extra drones take part in the burn-down alone.
const drone = new Drone({ queue, workers: { noop: workers.noop }, drone: { ...droneOptions, name: `bench-extra-${process.pid}` }, localQueuePath })
// Ready, but claims nothing until the runner starts the clock and says go.
if (mode === 'warm') {
  drone.pause()
  await drone.start()
}
process.send?.('ready')
await new Promise<void>((resolve) => process.once('message', () => resolve()))
if (mode === 'warm') drone.resume()
else await drone.start()
// Its succeeded no-op count, every 50 ms: the runner sums the drones' counts (a stats query every
// 50 ms would scan the tasks table and load the very database the drones share).
// And its peak RSS: a drone process that does nothing but run its drone (no enqueue garbage).
let peakRss = process.memoryUsage.rss()
const report = setInterval(() => {
  const done = drone.snapshot().types.find((t) => t.type === 'noop')?.done ?? 0
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
  process.send?.({ done, peakRss })
}, 50)
process.once('SIGTERM', () => {
  clearInterval(report)
  void drone.stop().then(() => queue.close()).then(() => process.exit(0))
})
