/**
 * The drones this console runs: start one on a connection with a set of worker definitions, stop it
 * (drain or now), restart its workers (optionally with the inspector on), and describe each as a
 * DroneView. Every drone's events feed its FlowAggregator; the service pushes the flow and the views.
 * A started drone is remembered in console.db and started again by the next `start()` with autostart
 * (until it is stopped from the console). A stopped drone stays listed, state `stopped` with its last
 * figures, until the operator dismisses it (or a new drone takes its name).
 */
import { join } from 'node:path'
import type { WorkerDefinition } from '../core/config.ts'
import { InputError, NotFoundError, errorMessage } from '../core/errors.ts'
import type { DroneEvent } from '../core/events.ts'
import type { ProcessSpawner } from '../workers/spawner.ts'
import type { Connections } from './connections.ts'
import type { DroneView, WorkerDefinitionRecord } from './contract.ts'
import type { Definitions } from './definitions.ts'
import { createEngineDrone, droneView, stopEngineDrone, type EngineDrone } from './engine.ts'
import { FlowAggregator } from './flow.ts'
import type { PostbackMap } from './postbacks.ts'
import type { SettingsStore } from './store.ts'

const WARN_EVERY_MS = 10_000
/** Stopped drones kept listed until dismissed; beyond this the oldest go first. */
const KEEP_STOPPED = 20

export interface RunningDrone {
  id: string
  name: string
  connectionId: string
  workerIds: string[]
  startedAt: string
  drone: EngineDrone
  flow: FlowAggregator
  error?: string
  /** Ends options.watchDrone's watch. */
  unwatch?: () => void
}

export interface DronesOptions {
  dataDir: string
  spawner?: ProcessSpawner | undefined
  /** Reports a drone's background failure to the console (a notice). */
  notice: (level: 'info' | 'warn' | 'error', message: string) => void
  /** Told of each drone before it starts (metrics watch its events); returns what to call once it stopped. */
  watchDrone?: ((drone: EngineDrone) => () => void) | undefined
  /** The console's postback map: fed every drone's events and its queue's enqueues. */
  postbacks?: PostbackMap | undefined
}

export class Drones {
  private readonly running = new Map<string, RunningDrone>()
  /** Drones stopped from the console: their final view, until dismissed. */
  private readonly stopped = new Map<string, DroneView>()
  /** Names being started: two quick starts must not pick the same default name (and local queue). */
  private readonly starting = new Set<string>()

  constructor(
    private readonly store: SettingsStore,
    private readonly connections: Connections,
    private readonly definitions: Definitions,
    private readonly options: DronesOptions,
  ) {}

  get size(): number {
    return this.running.size
  }

  all(): RunningDrone[] {
    return [...this.running.values()]
  }

  /** The type of a task held by one of these drones (the postback map's parent lookup: one ledger read per drone). */
  heldType(taskId: string): string | undefined {
    for (const d of this.running.values()) {
      const type = d.drone.heldType(taskId)
      if (type !== undefined) return type
    }
    return undefined
  }

  /** Why a connection cannot be changed now, or null. */
  usedBy(connectionId: string): string | null {
    const names = this.all().filter((d) => d.connectionId === connectionId).map((d) => d.name)
    return names.length ? `drone ${names.join(', ')} runs on it; stop it first` : null
  }

  async start(params: { connectionId: string; workerIds: string[]; name?: string | undefined }, persist = true): Promise<DroneView> {
    this.connections.get(params.connectionId) // NotFoundError before anything starts
    const defs = params.workerIds.map((id) => this.definitions.get(id))
    const missing = defs.filter((d) => !d.moduleExists)
    if (missing.length) throw new InputError(`worker module not found: ${missing.map((d) => d.module).join(', ')}`)
    const name = params.name ?? this.nextName()
    if (this.all().some((d) => d.name === name) || this.starting.has(name)) throw new InputError(`a drone named ${name} is already running`)
    this.starting.add(name)
    try {
      const queue = await this.connections.queue(params.connectionId)
      const drone = createEngineDrone({
        queue,
        name,
        workers: toWorkers(defs),
        localQueuePath: join(this.options.dataDir, 'drones', `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.db`),
        spawner: this.options.spawner,
      })
      const flow = new FlowAggregator(drone.id)
      const entry: RunningDrone = {
        id: drone.id,
        name,
        connectionId: params.connectionId,
        workerIds: params.workerIds,
        startedAt: new Date().toISOString(),
        drone,
        flow,
      }
      let lastWarnAt = 0
      const postbacks = this.options.postbacks
      drone.on('event', (e: DroneEvent) => {
        flow.add(e)
        if (e.kind !== 'drone-state' || !e.error) return
        if (e.state === 'failed') {
          entry.error = e.error.message
          this.options.notice('error', `drone ${name} failed: ${entry.error}`)
        } else if (e.at - lastWarnAt >= WARN_EVERY_MS) {
          // A background part failing (the database gone) repeats every pump: one notice per 10 s.
          lastWarnAt = e.at
          this.options.notice('warn', `drone ${name}: ${e.error.message}`)
        }
      })
      const unwatchMetrics = this.options.watchDrone?.(drone)
      const unwatchPostbacks = postbacks?.watch(queue)
      if (unwatchMetrics || unwatchPostbacks) {
        entry.unwatch = () => {
          unwatchMetrics?.()
          unwatchPostbacks?.()
        }
      }
      this.running.set(drone.id, entry)
      // A new drone of that name replaces the stopped one's card.
      for (const [id, v] of this.stopped) if (v.name === name) this.stopped.delete(id)
      try {
        await drone.start()
      } catch (err) {
        this.running.delete(drone.id)
        await stopEngineDrone(drone, 'now').catch(() => undefined)
        entry.unwatch?.()
        throw err
      }
      // One record of the drone: its start time is the registry row's (the database clock), as Cluster shows it.
      const row = (await queue.drones().catch(() => [])).find((r) => r.id === drone.id)
      if (row) entry.startedAt = row.startedAt
      if (persist) this.store.putDrone({ name, connectionId: params.connectionId, workerIds: params.workerIds })
      return droneView(entry)
    } finally {
      this.starting.delete(name)
    }
  }

  async stop(id: string, mode: 'drain' | 'now', forget = true): Promise<{ stopped: boolean }> {
    const entry = this.running.get(id)
    if (!entry) throw new NotFoundError(`no running drone with id ${id}`)
    if (forget) this.store.removeDrone(entry.name)
    try {
      await stopEngineDrone(entry.drone, mode)
    } finally {
      this.running.delete(id)
      entry.unwatch?.()
      if (forget) this.keepStopped(entry)
    }
    return { stopped: true }
  }

  /** Removes a stopped drone's card; false when there is none (already dismissed, or still running). */
  dismiss(id: string): boolean {
    return this.stopped.delete(id)
  }

  private keepStopped(entry: RunningDrone): void {
    try {
      const view = droneView(entry)
      // 'stopped' even when the drain ended in an error: the error is kept beside it.
      this.stopped.set(entry.id, { ...view, state: view.state === 'failed' ? 'failed' : 'stopped', stoppedAt: new Date().toISOString(), processes: [] })
    } catch {
      // No snapshot to keep (the engine drone is gone): the card just goes, as before.
    }
    while (this.stopped.size > KEEP_STOPPED) this.stopped.delete(this.stopped.keys().next().value!)
  }

  /** Pauses or resumes one drone's claiming (Drone.pause/resume): its tasks in hand run on. */
  setPaused(id: string, paused: boolean): DroneView {
    const entry = this.running.get(id)
    if (!entry) throw new NotFoundError(`no running drone with id ${id}`)
    if (paused) entry.drone.pause()
    else entry.drone.resume()
    return droneView(entry)
  }

  /** Drains every drone (service stop); they stay remembered for the next start. */
  async stopAll(): Promise<void> {
    await Promise.allSettled(this.all().map((d) => this.stop(d.id, 'drain', false)))
  }

  /** Starts the drones remembered from the last run; one that cannot start is reported, not fatal. */
  async restore(): Promise<void> {
    for (const row of this.store.listDrones()) {
      const known = new Set(this.definitions.list().map((d) => d.id))
      const workerIds = row.workerIds.filter((id) => known.has(id))
      if (workerIds.length === 0) {
        this.store.removeDrone(row.name)
        continue
      }
      try {
        await this.start({ connectionId: row.connectionId, workerIds, name: row.name })
      } catch (err) {
        // Its connection was removed meanwhile: nothing to restart it on, ever.
        if (err instanceof NotFoundError) this.store.removeDrone(row.name)
        this.options.notice('error', `could not restart drone ${row.name}: ${errorMessage(err)}`)
      }
    }
  }

  async restartWorkers(id: string, type: string, workerId: string | undefined, inspect: boolean): Promise<{ inspectUrls: string[] }> {
    const entry = this.running.get(id)
    if (!entry) throw new NotFoundError(`no running drone with id ${id}`)
    await entry.drone.restartWorkers(type, workerId, { inspect })
    if (!inspect) return { inspectUrls: [] }
    const urls = droneView(entry)
      .processes.filter((p) => p.type === type && (workerId === undefined || p.workerId === workerId) && p.inspectUrl)
      .map((p) => p.inspectUrl!)
    return { inspectUrls: urls }
  }

  /** A definition's module changed: restart its workers wherever it runs. */
  async reload(def: WorkerDefinitionRecord): Promise<number> {
    let n = 0
    for (const entry of this.all()) {
      if (!entry.workerIds.includes(def.id)) continue
      await entry.drone.restartWorkers(def.type, undefined, { inspect: false })
      n++
    }
    return n
  }

  /** Running drones, then stopped ones not yet dismissed. */
  list(): DroneView[] {
    return [...this.all().map((e) => droneView(e)), ...this.stopped.values()]
  }

  get(id: string): RunningDrone {
    const entry = this.running.get(id)
    if (!entry) throw new NotFoundError(`no running drone with id ${id}`)
    return entry
  }

  private nextName(): string {
    const used = new Set([...this.all().map((d) => d.name), ...this.starting])
    for (let n = 1; ; n++) if (!used.has(`console-${n}`)) return `console-${n}`
  }
}

function toWorkers(defs: WorkerDefinitionRecord[]): Record<string, WorkerDefinition | WorkerDefinition[]> {
  const out: Record<string, WorkerDefinition[]> = {}
  for (const d of defs) {
    const w: WorkerDefinition = { module: d.module, processes: d.processes, concurrency: d.concurrency }
    if (d.config !== undefined) w.config = d.config
    if (d.taskTimeoutMs !== undefined) w.taskTimeoutMs = d.taskTimeoutMs
    ;(out[d.type] ??= []).push(w)
  }
  return out
}
