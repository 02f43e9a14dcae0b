/**
 * The one place the console touches the engine's Drone: construction and the snapshot → DroneView
 * mapping, so an engine change is fixed here and nowhere else.
 */
import type { WorkerDefinition } from '../core/config.ts'
import { Drone } from '../drone/drone.ts'
import type { Queue } from '../queue/queue.ts'
import type { ProcessSpawner } from '../workers/spawner.ts'
import type { DroneView, WorkerProcessView } from './contract.ts'

export type EngineDrone = Drone

export function createEngineDrone(p: {
  queue: Queue
  name: string
  workers: Record<string, WorkerDefinition | WorkerDefinition[]>
  localQueuePath: string
  spawner?: ProcessSpawner | undefined
}): EngineDrone {
  return new Drone({
    queue: p.queue,
    workers: p.workers,
    drone: { name: p.name },
    localQueuePath: p.localQueuePath,
    ...(p.spawner ? { spawner: p.spawner } : {}),
  })
}

/** Stops a drone. 'drain': running tasks get the drone's grace period. 'now': the worker processes are killed and every task handed back. */
export function stopEngineDrone(drone: EngineDrone, mode: 'drain' | 'now'): Promise<void> {
  return drone.stop({ mode })
}

export function droneView(entry: { id: string; connectionId: string; startedAt: string; drone: EngineDrone; error?: string }): DroneView {
  const s = entry.drone.snapshot()
  const view: DroneView = {
    id: entry.id,
    name: s.name,
    connectionId: entry.connectionId,
    state: s.state,
    signals: s.signals,
    paused: s.paused,
    startedAt: entry.startedAt,
    types: s.types.map((t) => ({ type: t.type, capacity: t.capacity, buffered: t.buffered, running: t.running, done: t.done, failed: t.failed })),
    leases: { held: s.leases.held, lost: s.leases.lost, lastExtendAt: s.leases.lastExtendAt === null ? null : new Date(s.leases.lastExtendAt).toISOString() },
    processes: s.processes.map((p) => {
      const v: WorkerProcessView = {
        workerId: p.workerId,
        // The pool names its processes `<type>#<n>`.
        type: (p as { type?: string }).type ?? p.workerId.replace(/#\d+$/, ''),
        pid: p.pid ?? null,
        state: p.state,
        running: p.running,
        done: p.done,
        failed: p.failed,
        rssBytes: p.rssBytes,
        cpuPercent: p.cpuPercent,
        restarts: p.restarts,
      }
      if (p.inspectUrl) v.inspectUrl = p.inspectUrl
      return v
    }),
  }
  if (entry.error) view.error = entry.error
  return view
}
