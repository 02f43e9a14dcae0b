import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ForkSpawner } from '../../src/workers/fork-spawner.ts'
import { WorkerPool, type LostReason, type LostTask, type WorkerPoolOptions } from '../../src/workers/pool.ts'
import type { RunItem, WorkerItem } from '../../src/workers/protocol.ts'
import type { WorkerEvent } from '../../src/core/events.ts'
import { until } from '../helpers.ts'

export const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'workers')
export const fixture = (name: string): string => join(FIXTURES, name)

let seq = 0
export function task(payload: unknown, extra: Partial<RunItem> = {}): RunItem {
  return { id: `task-${++seq}`, type: 't', payloadJson: JSON.stringify(payload), attempt: 1, maxAttempts: 5, parentId: null, timeoutMs: 0, ...extra }
}

export interface Lost {
  workerId: string
  pid: number
  tasks: LostTask[]
  reason: LostReason
  error: { message: string }
}

/** A pool plus everything it reported, for awaiting outcomes in tests. */
export class Recorder {
  readonly items: Array<WorkerItem & { workerId: string; pid: number }> = []
  readonly lost: Lost[] = []
  readonly workerEvents: WorkerEvent[] = []
  readonly outcomes = new Map<string, WorkerItem & { workerId: string; pid: number }>()

  constructor(readonly pool: WorkerPool) {
    pool.on('items', (workerId, pid, items) => {
      for (const item of items) {
        const row = { ...item, workerId, pid }
        this.items.push(row)
        if ((item.k === 'succeeded' || item.k === 'failed' || item.k === 'released') && 'id' in item) this.outcomes.set(item.id, row)
      }
    })
    pool.on('lost', (workerId, pid, tasks, reason, error) => this.lost.push({ workerId, pid, tasks, reason, error }))
    pool.on('worker', (e) => this.workerEvents.push(e))
  }

  async outcome(id: string, timeoutMs = 20_000): Promise<WorkerItem & { workerId: string; pid: number }> {
    await until(() => this.outcomes.has(id), timeoutMs, `outcome of ${id}`)
    return this.outcomes.get(id)!
  }

  result(id: string): unknown {
    const o = this.outcomes.get(id)
    if (o?.k !== 'succeeded') throw new Error(`${id} did not succeed: ${JSON.stringify(o)}`)
    return JSON.parse(o.resultJson)
  }
}

export function makePool(modulePath: string, options: Partial<WorkerPoolOptions> = {}): { pool: WorkerPool; rec: Recorder } {
  const pool = new WorkerPool({
    type: 't',
    modulePath,
    config: {},
    processes: 1,
    concurrency: 1,
    taskTimeoutMs: 30_000,
    spawner: new ForkSpawner(),
    ...options,
  })
  return { pool, rec: new Recorder(pool) }
}

/** process.kill(pid, 0) throws ESRCH once the process is gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
