/**
 * The console service: everything the operator console does, behind one transport-agnostic
 * `handle(method, params)` (the contract's methods, params validated here with zod) and one push
 * stream (`subscribe`). The Electron main process routes IPC to it; `swarmage console` routes
 * WebSocket frames to it (src/console/server.ts). It owns the console's settings (console.db), the
 * open queues, the drones it runs and their live flow.
 */
import { existsSync, readFileSync } from 'node:fs'
import { tightenDataDir } from './data-dir.ts'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { z } from 'zod'
import { InputError, errorMessage } from '../core/errors.ts'
import type { Queue } from '../queue/queue.ts'
import type { ProcessSpawner } from '../workers/spawner.ts'
import { Connections, EMBEDDED_ID } from './connections.ts'
import { classifyConnectionError } from './connection-errors.ts'
import { apiInputs, type ApiErrorShape, type ApiMethod, type ApiParams, type ApiResults, type PushMessage } from './contract.ts'
import { DebugSessions } from '../debug/sessions.ts'
import { attachDebug } from './debug.ts'
import { Replays, processReplayRunner, replayRequest, type ReplayRunner } from './replay.ts'
import { AUDITED, describeActor, describeTarget, type Actor } from './audit.ts'
import { BulkJobs } from './bulk-jobs.ts'
import { Definitions } from './definitions.ts'
import { Drones } from './drones.ts'
import { Profiles } from './profiles.ts'
import type { EngineDrone } from './engine.ts'
import { ApiError, inputError, toApiError } from './errors.ts'
import { defaultExamplesDir, exampleWorkerPaths } from './examples.ts'
import { FLOW_WINDOW_MS } from './flow.ts'
import { droneHoldings, handBack, leasedHoldings } from './holdings.ts'
import { PostbackMap } from './postbacks.ts'
import { listScheduleViews } from './schedules.ts'
import { listTypeViews } from './types.ts'
import { KeyFileSecretStore, type SecretStore } from './secrets.ts'
import { SettingsStore } from './store.ts'
import { deleteIfFound, enqueueBatch, enqueueDemo, enqueueTask, getTask, listTasks } from './tasks.ts'

export { ApiError, toApiError } from './errors.ts'
export { KeyFileSecretStore, type SecretStore } from './secrets.ts'
export { EMBEDDED_ID } from './connections.ts'

export interface ConsoleServiceOptions {
  /** Folder of console.db, the embedded queue (swarm.db), drones' local queues and secret.key. */
  dataDir: string
  mode: 'desktop' | 'browser'
  /** How worker processes are spawned; default: the drone's own (child_process.fork). */
  spawner?: ProcessSpawner
  /** Where connection passwords are kept; default: KeyFileSecretStore in dataDir (see secrets.ts). */
  secrets?: SecretStore
  /** Desktop: a native file dialog for `workers.pickModule`. */
  pickModule?: () => Promise<string | null>
  /** Desktop: opens DevTools on a worker's inspector URL. */
  openDevTools?: (url: string) => Promise<boolean>
  /** Runs `tasks.replay`; default: a scratch one-process worker pool (src/api/replay.ts). */
  replay?: ReplayRunner
  /** Address of the built-in `embedded` connection; default `sqlite:<dataDir>/swarm.db`. */
  defaultQueue?: string
  /**
   * The example workers of resources/ exist as worker definitions (added on the first such run, labelled
   * `example`): `npm start` and `swarmage console --examples` ask for them. Default false: without it
   * they are neither added nor listed (issue 16: a console on a shared queue must not offer demo code).
   */
  seedExamples?: boolean
  /** On start: restart remembered drones; on the very first launch start one with the examples and enqueue demo tasks. Default false. */
  autostart?: boolean
  /** Folder holding the example workers (the packaged app's resources/workers); default: the package's. */
  examplesDir?: string
  /** Reported by app.info; default: package.json's version. */
  version?: string
  /** Demo tasks enqueued once on the first autostart. Default 200. */
  firstDemoCount?: number
  /**
   * With autostart: keep feeding this many demo tasks a second into the embedded queue, so the Flow view
   * shows a live stream rather than one burst that is over before the page opens. Fed only while the
   * embedded queue's backlog is under DEMO_BACKLOG_CAP. Default 0 (off); `npm start` sets it.
   */
  demoFeedPerSecond?: number
  /** Told of each drone this console starts (src/metrics watches its events); returns what to call once it stopped. */
  watchDrone?: (drone: EngineDrone) => () => void
}

type Handlers = { [M in ApiMethod]: (params: z.infer<(typeof apiInputs)[M]>, actor: Actor) => Promise<ApiResults[M]> | ApiResults[M] }

/** Every tenth flow tick (once a second) the drones' views are pushed while any drone runs. */
const DRONES_EVERY_TICKS = Math.round(1000 / FLOW_WINDOW_MS)

/** The demo feed pauses while this many demo tasks wait. */
const DEMO_BACKLOG_CAP = 500

export class ConsoleService {
  private readonly store: SettingsStore
  private readonly secrets: SecretStore
  private readonly connections: Connections
  private readonly definitions: Definitions
  private readonly drones: Drones
  private readonly debug = new DebugSessions((sessionId, event) => this.push({ channel: 'debug', sessionId, event }))
  private readonly replays: Replays
  private readonly bulk: BulkJobs
  private readonly profiles: Profiles
  private readonly postbacks = new PostbackMap((taskId) => this.drones.heldType(taskId))
  private readonly listeners = new Set<(m: PushMessage) => void>()
  private readonly handlers: Handlers
  private timer: NodeJS.Timeout | undefined
  private demoFeed: NodeJS.Timeout | undefined
  private ticks = 0
  private state: 'new' | 'started' | 'stopped' = 'new'

  constructor(private readonly options: ConsoleServiceOptions) {
    tightenDataDir(options.dataDir)
    this.store = SettingsStore.open(options.dataDir)
    tightenDataDir(options.dataDir)
    this.secrets = options.secrets ?? KeyFileSecretStore.inDataDir(options.dataDir)
    this.connections = new Connections(this.store, this.secrets, {
      dataDir: options.dataDir,
      defaultQueue: options.defaultQueue,
      inUse: (id) => this.drones.usedBy(id),
      refusePassword: () => {
        if (!this.secrets.available()) return 'no secret storage is available on this system'
        if (this.secrets.plaintext() && this.store.getMeta('plaintext-secrets-accepted') !== 'yes') {
          return 'this system has no keyring, so a password would be stored as plain text: accept that first (app.acceptPlaintextSecrets)'
        }
        return null
      },
    })
    this.definitions = new Definitions(this.store, (def) => void this.moduleChanged(def), options.seedExamples ?? false)
    this.drones = new Drones(this.store, this.connections, this.definitions, {
      dataDir: options.dataDir,
      spawner: options.spawner,
      notice: (level, message) => this.notice(level, message),
      watchDrone: options.watchDrone,
      postbacks: this.postbacks,
    })
    this.profiles = new Profiles(options.dataDir, this.drones, (profile) => this.push({ channel: 'profiles', profile }))
    this.replays = new Replays(
      options.replay ?? processReplayRunner(options.spawner),
      (replayId, event) => this.push({ channel: 'replay', replayId, event }),
      (target) => this.debug.attachReplay(target),
    )
    this.bulk = new BulkJobs({
      progress: (job) => this.push({ channel: 'bulk', job }),
      started: (job, actor) => {
        this.audit(actor, 'tasks.bulk', describeTarget({ connectionId: job.connectionId, jobId: job.id, verb: job.verb, filter: job.filter }), `started: ${job.expected} matching`)
      },
      finished: (job, actor) => {
        const outcome = job.state === 'failed' ? `failed: ${job.error}` : `${job.state}: ${job.matched} matched, ${job.changed} ${job.verb === 'retry' ? 'retried' : job.verb === 'cancel' ? 'cancelled' : 'deleted'}`
        this.audit(actor, 'tasks.bulk.end', describeTarget({ connectionId: job.connectionId, jobId: job.id, verb: job.verb, filter: job.filter }), outcome)
      },
    })
    this.handlers = this.makeHandlers()
  }

  /** The embedded connection's queue (opened on first use): the console's metrics read it. */
  embeddedQueue(): Promise<Queue> {
    return this.connections.queue(EMBEDDED_ID)
  }

  /** Seeds the examples (first run), watches modules, and with autostart starts drones. Idempotent. */
  async start(): Promise<void> {
    if (this.state !== 'new') return
    this.state = 'started'
    const firstRun = this.store.getMeta('examples-seeded') === null
    const paths = exampleWorkerPaths(this.options.examplesDir ?? defaultExamplesDir())
    this.definitions.seedExamples(paths, firstRun && (this.options.seedExamples ?? false))
    if (firstRun && this.options.seedExamples) this.store.setMeta('examples-seeded', new Date().toISOString())
    this.definitions.rewatch()
    this.timer = setInterval(() => this.tick(), FLOW_WINDOW_MS)
    this.timer.unref()
    if (this.options.autostart) await this.autostart()
    tightenDataDir(this.options.dataDir)
  }

  /** Drains every drone (they are restarted by the next start with autostart), closes queues and settings. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    clearInterval(this.timer)
    clearInterval(this.demoFeed)
    this.debug.closeAll()
    this.profiles.stopAll()
    await this.replays.settle()
    this.definitions.close()
    await this.bulk.stopAll()
    await this.drones.stopAll()
    this.postbacks.close()
    await this.connections.closeAll()
    this.store.close()
    this.listeners.clear()
  }

  /**
   * Validates `rawParams` for `method` and runs it. Throws only ApiError (code + one-line message).
   * `actor` says who calls (the transport fills it in); actions that change something are written to
   * the activity list with it, whether they succeed or not.
   */
  async handle(method: string, rawParams: unknown, actor: Actor = { via: 'console' }): Promise<unknown> {
    if (!Object.hasOwn(apiInputs, method)) throw new ApiError('input', `unknown method ${JSON.stringify(method).slice(0, 120)}`)
    if (this.state === 'stopped') throw new ApiError('internal', 'the console service is stopped')
    const m = method as ApiMethod
    const parsed = apiInputs[m].safeParse(rawParams ?? {})
    if (!parsed.success) throw inputError(m, parsed.error)
    try {
      const result = await (this.handlers[m] as (p: unknown, a: Actor) => unknown)(parsed.data, actor)
      // A drone's local queue and the embedded queue are created on these: narrow their files at once.
      if (m === 'drones.start' || m === 'connections.save') tightenDataDir(this.options.dataDir)
      if (AUDITED.has(m)) this.audit(actor, m, describeTarget(parsed.data), 'ok')
      return result
    } catch (err) {
      const shape = this.connectionError(m, parsed.data, err) ?? toApiError(err)
      if (AUDITED.has(m)) this.audit(actor, m, describeTarget(parsed.data), shape.message)
      throw new ApiError(shape.code, shape.message)
    }
  }

  /** A call on a connection that failed to reach its database: says so with the (masked) address, not "the server failed". */
  private connectionError(method: ApiMethod, params: unknown, err: unknown): ApiErrorShape | null {
    const p = params as { connectionId?: unknown; id?: unknown }
    const id = typeof p.connectionId === 'string' ? p.connectionId : method === 'connections.migrate' && typeof p.id === 'string' ? p.id : null
    if (id === null) return null
    let address: string
    try {
      address = this.connections.address(id)
    } catch {
      return null
    }
    return classifyConnectionError(err, address)?.shape ?? null
  }

  /** One activity line, stored and pushed. A failure to store it is reported, never fatal to the action. */
  audit(actor: Actor, action: string, target: string, outcome: string): void {
    if (this.state === 'stopped') return
    try {
      const entry = this.store.addActivity({ at: new Date().toISOString(), who: describeActor(actor), action, target, outcome })
      this.push({ channel: 'activity', entry })
    } catch (err) {
      process.stderr.write(`swarmage console: could not record the activity line of ${action}: ${errorMessage(err)}\n`)
    }
  }

  /** `handle`, typed: for in-process callers and tests. */
  call<M extends ApiMethod>(method: M, params: ApiParams<M>, actor?: Actor): Promise<ApiResults[M]> {
    return this.handle(method, params, actor) as Promise<ApiResults[M]>
  }

  subscribe(listener: (m: PushMessage) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private push(message: PushMessage): void {
    for (const l of this.listeners) {
      try {
        l(message)
      } catch (err) {
        // A broken transport must not stop the others, nor the flow.
        process.stderr.write(`swarmage console: a push listener threw: ${errorMessage(err)}\n`)
      }
    }
  }

  private notice(level: 'info' | 'warn' | 'error', message: string): void {
    this.push({ channel: 'notice', level, message })
  }

  private pushDefinitions(): void {
    this.push({ channel: 'worker-definitions', definitions: this.definitions.list() })
  }

  private pushDrones(): void {
    this.push({ channel: 'drones', drones: this.drones.list() })
  }

  private tick(): void {
    if (this.drones.size === 0) return
    // Windows are cut even with no one listening, so a client that connects later gets 100 ms deltas.
    const listening = this.listeners.size > 0
    for (const d of this.drones.all()) {
      const delta = d.flow.take()
      if (delta && listening) this.push({ channel: 'flow', delta })
    }
    if (++this.ticks % DRONES_EVERY_TICKS === 0 && listening) this.pushDrones()
  }

  private async moduleChanged(def: { id: string; type: string; module: string }): Promise<void> {
    try {
      const record = this.definitions.get(def.id)
      const n = await this.drones.reload(record)
      this.pushDefinitions()
      if (n > 0) this.notice('info', `${def.module} changed: restarted the ${def.type} workers in ${n} drone${n === 1 ? '' : 's'}`)
    } catch (err) {
      this.notice('error', `${def.module} changed, but restarting the ${def.type} workers failed: ${errorMessage(err)}`)
    }
  }

  private async autostart(): Promise<void> {
    await this.autostartDrones()
    const rate = this.options.demoFeedPerSecond ?? 0
    if (rate > 0) this.startDemoFeed(rate)
  }

  private startDemoFeed(perSecond: number): void {
    let busy = false
    this.demoFeed = setInterval(() => {
      if (busy || this.state !== 'started') return
      busy = true
      void (async () => {
        const queue = await this.connections.queue(EMBEDDED_ID)
        // No drone draining the queue (stopped by the operator): do not pile demo tasks up.
        if ((await queue.count({ state: 'queued' }, DEMO_BACKLOG_CAP)) >= DEMO_BACKLOG_CAP) return
        await enqueueDemo(queue, perSecond)
      })()
        .catch((err: unknown) => this.notice('warn', `demo feed: ${errorMessage(err)}`))
        .finally(() => (busy = false))
    }, 1000)
    this.demoFeed.unref()
  }

  private async autostartDrones(): Promise<void> {
    if (this.store.getMeta('first-launch') === null) {
      this.store.setMeta('first-launch', new Date().toISOString())
      const examples = this.definitions.list().filter((d) => d.id.startsWith('example-') && d.moduleExists)
      if (examples.length === 0) return
      try {
        await this.drones.start({ connectionId: EMBEDDED_ID, workerIds: examples.map((d) => d.id) })
        const queue = await this.connections.queue(EMBEDDED_ID)
        await enqueueDemo(queue, this.options.firstDemoCount ?? 200)
      } catch (err) {
        this.notice('error', `could not start the example drone: ${errorMessage(err)}`)
      }
      return
    }
    await this.drones.restore()
  }

  private makeHandlers(): Handlers {
    const queue = (id: string) => this.connections.queue(id)
    return {
      'app.info': () => ({
        version: this.options.version ?? packageVersion(),
        mode: this.options.mode,
        platform: process.platform,
        dataDir: this.options.dataDir,
        plaintextSecrets: this.secrets.plaintext(),
      }),
      'app.acceptPlaintextSecrets': (p) => {
        this.store.setMeta('plaintext-secrets-accepted', p.accept ? 'yes' : 'no')
        return { plaintextSecrets: this.secrets.plaintext(), accepted: p.accept }
      },
      'connections.list': () => this.connections.list(),
      'connections.save': (p) => this.connections.save(p),
      'connections.remove': (p) => this.connections.remove(p.id),
      'connections.test': (p) => this.connections.test(p),
      'connections.migrate': (p) => this.connections.migrate(p.id),
      'workers.list': () => this.definitions.list(),
      'workers.save': (p) => {
        const saved = this.definitions.save(p)
        this.pushDefinitions()
        return saved
      },
      'workers.remove': (p) => {
        const removed = this.definitions.remove(p.id)
        this.pushDefinitions()
        return removed
      },
      'workers.pickModule': async () => {
        if (!this.options.pickModule) return { path: null, reason: 'the browser console cannot open a file dialog on the server: type the module path' }
        return { path: await this.options.pickModule() }
      },
      'drones.list': () => this.drones.list(),
      'drones.start': async (p) => {
        const view = await this.drones.start(p)
        this.pushDrones()
        return view
      },
      'drones.stop': async (p) => {
        const result = await this.drones.stop(p.id, p.mode)
        this.pushDrones()
        return result
      },
      'drones.dismiss': (p) => {
        const dismissed = this.drones.dismiss(p.id)
        this.pushDrones()
        return { dismissed }
      },
      'drones.restartWorkers': (p) => this.drones.restartWorkers(p.id, p.type, p.workerId, p.inspect),
      'drones.openDevTools': async (p) => {
        const known = this.drones.list().some((d) => d.processes.some((w) => w.inspectUrl === p.inspectUrl))
        if (!known) throw new InputError('inspectUrl: not the inspector address of a running worker process')
        if (!this.options.openDevTools) return { opened: false, url: p.inspectUrl }
        return { opened: await this.options.openDevTools(p.inspectUrl), url: p.inspectUrl }
      },
      'tasks.list': async (p) => listTasks(await queue(p.connectionId), p),
      'tasks.get': async (p) => getTask(await queue(p.connectionId), p.id),
      'tasks.retry': async (p) => (await queue(p.connectionId)).retry(p.id),
      'tasks.cancel': async (p) => (await queue(p.connectionId)).cancel(p.id),
      'tasks.why': async (p) => (await queue(p.connectionId)).why(p.id),
      'tasks.delete': async (p) => ({ deleted: await deleteIfFound(await queue(p.connectionId), p.id) }),
      'tasks.enqueue': async (p) => enqueueTask(await queue(p.connectionId), p),
      'tasks.enqueueMany': async (p) => enqueueBatch(await queue(p.connectionId), p),
      'tasks.demo': async (p) => enqueueDemo(await queue(p.connectionId), p.count),
      'tasks.bulkCount': async (p) => ({ matched: await this.bulk.count(await queue(p.connectionId), p.filter) }),
      'tasks.bulk': async (p, actor) => {
        try {
          return await this.bulk.start(await queue(p.connectionId), p.connectionId, p.verb, p.filter, actor)
        } catch (err) {
          this.audit(actor, 'tasks.bulk', describeTarget(p), toApiError(err).message)
          throw err
        }
      },
      'tasks.bulkAbort': (p) => ({ aborted: this.bulk.abort(p.jobId) }),
      'tasks.bulkJobs': () => this.bulk.list(),
      'queue.stats': async (p) => (await queue(p.connectionId)).stats(),
      'queue.drones': async (p) => (await queue(p.connectionId)).drones(),
      'queue.unserved': async (p) => (await queue(p.connectionId)).unserved(),
      'schedules.list': async (p) => listScheduleViews(await queue(p.connectionId)),
      'schedules.set': async (p) => (await queue(p.connectionId)).setSchedule(p.name, p.schedule),
      'schedules.remove': async (p) => {
        await (await queue(p.connectionId)).removeSchedule(p.name)
        return { removed: true }
      },
      'schedules.pause': async (p) => (await queue(p.connectionId)).pauseSchedule(p.name),
      'schedules.resume': async (p) => (await queue(p.connectionId)).resumeSchedule(p.name),
      'schedules.run': async (p) => ({ id: await (await queue(p.connectionId)).runSchedule(p.name) }),
      'types.list': async (p) => listTypeViews(await queue(p.connectionId)),
      'types.set': async (p) => (await queue(p.connectionId)).setTypeSettings(p.type, p.settings),
      'drones.pause': (p) => {
        const view = this.drones.setPaused(p.id, true)
        this.pushDrones()
        return view
      },
      'drones.resume': (p) => {
        const view = this.drones.setPaused(p.id, false)
        this.pushDrones()
        return view
      },
      'debug.attach': (p) => attachDebug(this.debug, this.drones, this.definitions, p),
      'debug.command': (p) => this.debug.send(p.sessionId, p.command),
      'debug.detach': (p) => ({ detached: this.debug.detach(p.sessionId) }),
      'debug.sessions': () => this.debug.list(),
      'tasks.replay': async (p) => this.replays.start(await replayRequest(await queue(p.connectionId), this.definitions.list(), p), p.connectionId),
      'activity.list': (p) => this.store.listActivity(p.limit, p.beforeId),
      'profiles.start': (p) => this.profiles.start(p),
      'profiles.stop': (p) => ({ stopped: this.profiles.stop(p.runId) }),
      'profiles.heapSnapshot': (p) => this.profiles.heapSnapshot(p),
      'profiles.list': () => this.profiles.list(),
      'profiles.get': (p) => this.profiles.get(p.id),
      'profiles.forTask': (p) => this.profiles.forTask(p.taskId),
      'profiles.read': (p) => this.profiles.read(p.id, p.offset),
      'profiles.remove': (p) => ({ removed: this.profiles.remove(p.id) }),
      'drones.holdings': (p) => droneHoldings(this.drones.get(p.id), p.limit),
      'drones.handBack': (p) => handBack(this.drones.get(p.id), p.taskId),
      'queue.droneHoldings': async (p) => leasedHoldings(await queue(p.connectionId), p.droneId, p.limit),
      'flow.postbacks': (p) => this.postbacks.view(p.windowMs, this.drones.all().map((d) => d.name)),
    }
  }
}

let cachedVersion: string | undefined
function packageVersion(): string {
  if (cachedVersion) return cachedVersion
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
        if (pkg.name === 'swarmage' && pkg.version) return (cachedVersion = pkg.version)
      } catch {
        // not ours; keep looking
      }
    }
    dir = resolve(dir, '..')
  }
  return (cachedVersion = '0.0.0')
}
