/**
 * The console side of a debug session: which worker process `debug.attach` means, restarted with the
 * inspector on when it runs without one, and — when no process was named ("the next task of type T",
 * "debug this task") — the drone told to send every next task of the type to it while the session is
 * open. The session itself (CDP to the inspector) is src/debug's.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { NotFoundError } from '../core/errors.ts'
import type { DebugSessionView, DebugTarget } from '../debug/protocol.ts'
import type { DebugSessions } from '../debug/sessions.ts'
import type { Definitions } from './definitions.ts'
import type { Drones } from './drones.ts'
import { droneView } from './engine.ts'

export async function debugTarget(drones: Drones, definitions: Definitions, p: { droneId: string; type: string; workerId?: string | undefined }): Promise<DebugTarget> {
  const entry = drones.get(p.droneId)
  const find = () => {
    const live = droneView(entry).processes.filter(
      (w) => w.type === p.type && (p.workerId === undefined || w.workerId === p.workerId) && w.state !== 'exited' && w.state !== 'crashed',
    )
    // Any process will do: one with the inspector on already is not restarted (nor its session replaced).
    return live.find((w) => w.inspectUrl) ?? live[0]
  }
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

/**
 * `debug.attach`. With several processes of a type, a session on one of them would see only the
 * tasks the drone happens to give it; so when no process was named, the drone routes every next task
 * of the type to the session's process (Drone.pinDebug) until the session closes (detach, the process
 * exits or is replaced, the console stops). The type's other processes finish what they hold; other
 * types are untouched. Naming a process (Workers, a process's Debug) debugs it as it is, no routing.
 */
export async function attachDebug(
  sessions: DebugSessions,
  drones: Drones,
  definitions: Definitions,
  p: { droneId: string; type: string; workerId?: string | undefined },
): Promise<DebugSessionView> {
  const view = await sessions.attach(await debugTarget(drones, definitions, p))
  if (p.workerId !== undefined || view.pid === null) return view
  const { drone } = drones.get(p.droneId)
  const pid = view.pid
  // Not pinned: the process is being replaced already (its session closes with it), nothing to route to.
  if (!drone.pinDebug(p.type, pid)) return view
  return sessions.route(view.sessionId, () => drone.unpinDebug(p.type, pid)) ?? view
}
