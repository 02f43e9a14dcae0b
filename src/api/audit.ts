/**
 * The console's activity list (issue #10): one line per operator action — who (the transport and how
 * it was authenticated), what (the method and its target, never a password or a payload), when, and
 * how it ended. Kept in console.db (store.ts) and pushed live to the Activity view.
 */

/**
 * Who called: `token` (the browser console, authenticated by its access token), `no-token` (a
 * loopback console started with --no-token: anyone on the machine), `ipc` (the desktop window,
 * checked by sender), `console` (the console itself: the config's workers at start).
 */
export interface Actor {
  via: 'token' | 'no-token' | 'ipc' | 'console'
  /** The client's address, for the network transports. */
  client?: string
}

export interface ActivityEntry {
  id: number
  /** ISO-8601 */
  at: string
  /** "token 127.0.0.1", "ipc", "no-token 127.0.0.1", "console" */
  who: string
  /** the contract method, e.g. "tasks.retry", or "tasks.bulk" */
  action: string
  /** what it acted on: ids, names, a filter; never a secret or a payload */
  target: string
  /** "ok", or the error's one-line message */
  outcome: string
}

/** Entries kept: older ones are pruned as new ones come (about 200 bytes each, so ~2 MB at most). */
export const ACTIVITY_KEEP = 10_000

/** Contract methods that change something: reading (lists, stats, tests of a connection) is not audited. */
export const AUDITED: ReadonlySet<string> = new Set<string>([
  'app.acceptPlaintextSecrets',
  'connections.save',
  'connections.remove',
  'connections.migrate',
  'workers.save',
  'workers.remove',
  'drones.start',
  'drones.stop',
  'drones.dismiss',
  'drones.restartWorkers',
  'drones.handBack',
  'drones.openDevTools',
  'profiles.start',
  'profiles.stop',
  'profiles.heapSnapshot',
  'profiles.remove',
  'tasks.retry',
  'tasks.cancel',
  'tasks.delete',
  'tasks.enqueue',
  'tasks.demo',
  // tasks.bulk writes its own lines (src/api/bulk-jobs.ts hooks): one when it starts, one when it ends.
  'tasks.bulkAbort',
  'schedules.set',
  'schedules.remove',
  'schedules.pause',
  'schedules.resume',
  'schedules.run',
])

export function describeActor(actor: Actor): string {
  return actor.client ? `${actor.via} ${actor.client}` : actor.via
}

/**
 * The target of an action, from its validated params: a fixed list of fields that name things. A
 * password (connections.save), a payload (tasks.enqueue) or a worker's config never get here.
 */
export function describeTarget(params: unknown): string {
  if (!params || typeof params !== 'object') return ''
  const p = params as Record<string, unknown>
  const parts: string[] = []
  const field = (key: string, label = key): void => {
    const v = p[key]
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') parts.push(`${label}=${String(v).slice(0, 200)}`)
  }
  for (const k of ['connectionId', 'id', 'taskId', 'name', 'type', 'module', 'kind', 'mode', 'verb', 'count', 'accept', 'jobId', 'droneId', 'workerId', 'tasks', 'runId']) field(k)
  if (Array.isArray(p.workerIds)) parts.push(`workers=${p.workerIds.slice(0, 20).join(',')}`)
  const filter = p.filter
  if (filter && typeof filter === 'object') {
    const f = Object.entries(filter as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== '')
    parts.push(`filter={${f.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}}`)
  }
  return parts.join(' ')
}
