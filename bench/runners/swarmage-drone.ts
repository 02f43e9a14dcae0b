// One extra drone process for the multi-drone runs: starts, says so, stops on SIGTERM (draining).
import { Drone, openQueue } from '../../src/index.ts'
import { droneOptions, workers } from './swarmage-config.ts'

const [address, localQueuePath] = process.argv.slice(2)
const queue = await openQueue(address!, { migrate: true })
const drone = new Drone({ queue, workers, drone: { ...droneOptions, name: `bench-extra-${process.pid}` }, localQueuePath })
await drone.start()
process.send?.('started')
process.once('SIGTERM', () => {
  void drone.stop().then(() => queue.close()).then(() => process.exit(0))
})
