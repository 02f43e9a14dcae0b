/**
 * The console side of a debug session: which worker process `debug.attach` means, restarted with the
 * inspector on when it runs without one. The session itself (CDP to the inspector) is src/debug's.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { NotFoundError } from '../core/errors.ts'
import type { DebugTarget } from '../debug/protocol.ts'
import type { Definitions } from './definitions.ts'
import type { Drones } from './drones.ts'
import { droneView } from './engine.ts'

export async function debugTarget(drones: Drones, definitions: Definitions, p: { droneId: string; type: string; workerId?: string | undefined }): Promise<DebugTarget> {
  const entry = drones.get(p.droneId)
  const find = () =>
    droneView(entry).processes.find(
      (w) => w.type === p.type && (p.workerId === undefined || w.workerId === p.workerId) && w.state !== 'exited' && w.state !== 'crashed',
    )
  let proc = find()
  if (!proc) throw new NotFoundError(`drone ${entry.name} has no live ${p.type} worker process${p.workerId ? ` ${p.workerId}` : ''}`)
  if (!proc.inspectUrl) {
    // Graceful: its running tasks finish first (within the definition's taskTimeoutMs).
    await drones.restartWorkers(p.droneId, p.type, proc.workerId, true)
    proc = find()
  }
  if (!proc?.inspectUrl) throw new Error(`the ${p.type} worker process of drone ${entry.name} did not come back with an inspector`)
  const moduleUrls = definitions
    .list()
    .filter((d) => entry.workerIds.includes(d.id) && d.type === p.type)
    .map((d) => pathToFileURL(resolve(d.module)).href)
  return { droneId: entry.id, droneName: entry.name, type: p.type, workerId: proc.workerId, pid: proc.pid, inspectUrl: proc.inspectUrl, moduleUrls }
}
