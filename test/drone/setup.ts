import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DroneEvent, TaskEvent } from '../../src/core/events.ts'
import type { Drone } from '../../src/drone/drone.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'

export const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures')
export const BEHAVE = join(FIXTURES, 'behave.ts')

export type Backend = 'sqlite' | 'postgres'
export const BACKENDS: Backend[] = ['sqlite', 'postgres']

/** A fresh queue on a backend, in its own temp folder (SQLite file) or schema (PostgreSQL). */
export async function testQueue(backend: Backend, prefix: string): Promise<{ queue: Queue; dir: string; address: string; cleanup: () => Promise<void> }> {
  const tmp = tempDir(`swarmage-drone-${prefix}-`)
  const schema = uniqueSchema(`drone_${prefix}`)
  const address = backend === 'sqlite' ? `sqlite:${join(tmp.dir, 'swarm.db')}` : pgAddress(schema)
  const queue = await openQueue(address, { migrate: true })
  return {
    queue,
    dir: tmp.dir,
    address,
    cleanup: async () => {
      await queue.close()
      if (backend === 'postgres') await dropSchema(schema)
      tmp.cleanup()
    },
  }
}

/** Collects a drone's events; `waitFor` resolves on the first matching one (past or future). */
export class EventLog {
  readonly events: DroneEvent[] = []
  private waiters: Array<{ match: (e: DroneEvent) => boolean; resolve: (e: DroneEvent) => void }> = []

  constructor(drone: Drone) {
    drone.on('event', (e) => {
      this.events.push(e)
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(e)) return true
        w.resolve(e)
        return false
      })
    })
  }

  task(kind: TaskEvent['kind'], taskId?: string): TaskEvent[] {
    return this.events.filter((e): e is TaskEvent => e.kind === kind && (taskId === undefined || (e as TaskEvent).taskId === taskId))
  }

  waitFor(match: (e: DroneEvent) => boolean, timeoutMs = 20_000, what = 'event'): Promise<DroneEvent> {
    const seen = this.events.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer)
          resolve(e)
        },
      })
    })
  }

  waitTask(kind: TaskEvent['kind'], taskId: string, timeoutMs?: number): Promise<DroneEvent> {
    return this.waitFor((e) => e.kind === kind && (e as TaskEvent).taskId === taskId, timeoutMs, `${kind} of ${taskId}`)
  }
}

/** Short timings so retries and leases play out in a test's seconds. */
export const FAST = { leaseMs: 1_000, retryBaseMs: 20, retryMaxMs: 100, graceMs: 5_000, pollMs: 200 }
