/**
 * The console API: one contract shared by the Electron main process (IPC), the preload bridge, the
 * browser console's server (HTTP + WebSocket) and the renderer. Every method takes one params object,
 * validated at run time on the receiving side with the zod schema below; results are typed by
 * `ApiResults`. The renderer sees the same `SwarmageApi` shape whichever transport it uses.
 */
import { z } from 'zod'
import type { DroneEvent, DroneState, WorkerProcessState } from '../core/events.ts'
import { TASK_STATES, TASK_TYPE_RE, TASK_TYPE_RULE, type Task } from '../core/task.ts'
import { workerDefinitionSchema } from '../core/worker-definition.ts'
import type { QueueStats, TaskAttempt, TaskLog, DroneInfo } from '../queue/driver.ts'
import type { Schedule } from '../schedules/definition.ts'
import { debugCommand, type DebugEvent, type DebugSessionView } from '../debug/protocol.ts'
import type { ReplayEvent } from './replay.ts'
import type { ProfileChunk, ProfileView } from './profile-types.ts'
import type { UnservedType, WhyReport } from '../debug/why.ts'
import type { ActivityEntry } from './audit.ts'
import type { BulkJobView } from './bulk-jobs.ts'
import type { ScheduleView } from './schedules.ts'
import type { TypeView } from './types.ts'
import type { DroneHoldingsView, LeasedHoldingsView } from './holdings.ts'
import type { PostbackMapView } from './postbacks.ts'
import { typeSettingsSchema, type TypeSettings } from '../core/flow.ts'

const id = z.string().min(1).max(200)
const taskState = z.enum(TASK_STATES)

export const connectionInput = z.strictObject({
  id: id.optional(),
  name: z.string().min(1).max(100),
  kind: z.enum(['sqlite', 'postgres']),
  /** sqlite: the file path */
  path: z.string().min(1).max(4096).optional(),
  /** postgres: either a full address (password may be inside) or fields */
  address: z.string().max(4096).optional(),
  host: z.string().max(255).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  database: z.string().max(255).optional(),
  user: z.string().max(255).optional(),
  /** write-only: never returned; kept with safeStorage on the desktop */
  password: z.string().max(4096).optional(),
  sslmode: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
  schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/).optional(),
})
export type ConnectionInput = z.infer<typeof connectionInput>

/** What tells connections apart (src/api/target.ts): shown in lists and menus, the masked `display` in a tooltip. */
export interface ConnectionTarget {
  host?: string
  database?: string
  /** the schema the address uses: its `?schema=`, else the default `swarmage` */
  schema?: string
  /** sqlite: the file */
  path?: string
  /** one line: `host:port/db · schema S`, or `sqlite FILE` */
  summary: string
}

export interface Connection extends Omit<ConnectionInput, 'password' | 'id'> {
  id: string
  target: ConnectionTarget
  /** the built-in embedded SQLite queue; cannot be removed */
  builtin: boolean
  hasPassword: boolean
  /** the address with the password redacted */
  display: string
}

export const workerDefinitionInput = z.strictObject({
  id: id.optional(),
  type: z.string().regex(TASK_TYPE_RE, `a task type: ${TASK_TYPE_RULE}`),
  module: z.string().min(1).max(4096),
  processes: workerDefinitionSchema.shape.processes.unwrap().default(1),
  concurrency: workerDefinitionSchema.shape.concurrency.unwrap().default(1),
  config: workerDefinitionSchema.shape.config,
  taskTimeoutMs: workerDefinitionSchema.shape.taskTimeoutMs,
  /** reload automatically when the module file changes */
  watch: z.boolean().default(true),
})
export type WorkerDefinitionInput = z.input<typeof workerDefinitionInput>
export interface WorkerDefinitionRecord extends z.infer<typeof workerDefinitionInput> {
  id: string
  /** whether the module file exists right now */
  moduleExists: boolean
  /** set on the example workers of resources/ (only present with --examples): the example's type */
  example?: string
}

export interface WorkerProcessView {
  workerId: string
  type: string
  pid: number | null
  state: WorkerProcessState
  running: string[]
  done: number
  failed: number
  rssBytes: number
  cpuPercent: number
  restarts: number
  inspectUrl?: string
}

export interface DroneView {
  id: string
  name: string
  connectionId: string
  state: DroneState
  signals: 'push' | 'polling'
  /** claiming paused on this drone (drones.pause): tasks in hand still run */
  paused: boolean
  startedAt: string
  types: Array<{ type: string; capacity: number; buffered: number; running: number; done: number; failed: number }>
  leases: { held: number; lost: number; lastExtendAt: string | null }
  processes: WorkerProcessView[]
  error?: string
  /** set on a drone stopped from the console: its last figures stay listed until `drones.dismiss` */
  stoppedAt?: string
}

/** Per task type, per flow edge, since the last push: counts and latency summary. */
export interface FlowDelta {
  droneId: string
  at: number
  /** ms covered by this delta */
  windowMs: number
  types: Record<
    string,
    {
      claimed: number
      dispatched: number
      started: number
      succeeded: number
      failed: number
      retried: number
      cancelled: number
      handedBack: number
      leaseLost: number
      /** run time (started → finished) of tasks finished in the window, ms */
      runMs: { count: number; sum: number; max: number; p50: number; p95: number }
      /** wait time (claimed → started), ms */
      waitMs: { count: number; sum: number; max: number; p50: number; p95: number }
    }
  >
  /** a bounded sample of the window's events (the newest, at most 50) for the live log */
  recent: DroneEvent[]
}

/** Messages the server pushes (IPC 'swarmage:push' or WebSocket frames), at most ~20 per second per view. */
export type PushMessage =
  | { channel: 'flow'; delta: FlowDelta }
  | { channel: 'drones'; drones: DroneView[] }
  | { channel: 'worker-definitions'; definitions: WorkerDefinitionRecord[] }
  | { channel: 'notice'; level: 'info' | 'warn' | 'error'; message: string }
  /** a debug session's inspector events (src/debug/protocol.ts), in order */
  | { channel: 'debug'; sessionId: string; event: DebugEvent }
  /** a replay's events (src/api/replay.ts), in order; the last is 'succeeded' or 'failed' */
  | { channel: 'replay'; replayId: string; event: ReplayEvent }
  | { channel: 'activity'; entry: ActivityEntry }
  | { channel: 'bulk'; job: BulkJobView }
  /** a CPU profile or heap snapshot started, progressed or finished (src/api/profiles.ts) */
  | { channel: 'profiles'; profile: ProfileView }

export const listTasksInput = z.strictObject({
  connectionId: id,
  state: taskState.optional(),
  type: z.string().max(100).optional(),
  search: z.string().max(1000).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  before: z.strictObject({ createdAt: z.string(), id: z.string() }).optional(),
})

/** The Tasks view's filter, as a bulk action matches it (src/api/bulk-jobs.ts). */
const bulkFilterInput = z.strictObject({
  state: taskState.optional(),
  type: z.string().max(100).optional(),
  search: z.string().max(1000).optional(),
})

const enqueueOptions = z.strictObject({
  priority: z.number().int().optional(),
  delayMs: z.number().int().min(0).max(2_147_483_647).optional(),
  runAt: z.string().optional(),
  maxAttempts: z.number().int().min(1).max(1000).optional(),
  key: z.string().min(1).max(255).optional(),
})

/** Method name → params schema. Keys are `noun.verb`; the IPC channel is `swarmage:<key>`. */
export const apiInputs = {
  'app.info': z.strictObject({}),
  /** desktop: accept (or withdraw) keeping passwords as plain text where safeStorage has no keyring (Linux 'basic_text') */
  'app.acceptPlaintextSecrets': z.strictObject({ accept: z.boolean() }),
  'connections.list': z.strictObject({}),
  'connections.save': connectionInput,
  'connections.remove': z.strictObject({ id }),
  'connections.test': z.union([z.strictObject({ id }), connectionInput]),
  'connections.migrate': z.strictObject({ id }),
  'workers.list': z.strictObject({}),
  'workers.save': workerDefinitionInput,
  'workers.remove': z.strictObject({ id }),
  /** desktop: a native file dialog; browser: returns { path: null, reason } and the UI asks for a path */
  'workers.pickModule': z.strictObject({}),
  'drones.list': z.strictObject({}),
  'drones.start': z.strictObject({
    connectionId: id,
    workerIds: z.array(id).min(1).max(100),
    name: z.string().min(1).max(100).optional(),
  }),
  'drones.stop': z.strictObject({ id, mode: z.enum(['drain', 'now']).default('drain') }),
  /** removes a stopped drone from the list */
  'drones.dismiss': z.strictObject({ id }),
  'drones.restartWorkers': z.strictObject({ id, type: z.string().max(100), workerId: z.string().max(200).optional(), inspect: z.boolean().default(false) }),
  'drones.openDevTools': z.strictObject({ inspectUrl: z.string().max(2000) }),
  'tasks.list': listTasksInput,
  'tasks.get': z.strictObject({ connectionId: id, id }),
  'tasks.retry': z.strictObject({ connectionId: id, id }),
  'tasks.cancel': z.strictObject({ connectionId: id, id }),
  'tasks.delete': z.strictObject({ connectionId: id, id }),
  /** "Why isn't this running?" (src/debug/why.ts) */
  'tasks.why': z.strictObject({ connectionId: id, id }),
  'tasks.enqueue': z.strictObject({
    connectionId: id,
    type: z.string().max(100),
    payload: z.unknown(),
    options: enqueueOptions.optional(),
  }),
  /**
   * Bulk enqueue (the Enqueue view's count + template and NDJSON file): one batch of at most 1000 tasks,
   * validated whole before anything is stored; `lines` names each task's line in an error ("line 7: …");
   * `dryRun` validates only, so a file is checked to the end before its first batch is written.
   */
  'tasks.enqueueMany': z.strictObject({
    connectionId: id,
    tasks: z.array(z.strictObject({ type: z.string().max(100), payload: z.unknown(), options: enqueueOptions.optional() })).min(1).max(1000),
    lines: z.array(z.number().int().min(1)).max(1000).optional(),
    dryRun: z.boolean().default(false),
  }),
  /** how many tasks a bulk action with this filter would match now (exact) */
  'tasks.bulkCount': z.strictObject({ connectionId: id, filter: bulkFilterInput }),
  /** starts a bulk action in the background; progress comes on the `bulk` push channel */
  'tasks.bulk': z.strictObject({ connectionId: id, verb: z.enum(['retry', 'cancel', 'delete']), filter: bulkFilterInput }),
  /** stops a running bulk action after its current batch */
  'tasks.bulkAbort': z.strictObject({ jobId: id }),
  /** running and recently finished bulk actions, newest first */
  'tasks.bulkJobs': z.strictObject({}),
  'tasks.demo': z.strictObject({ connectionId: id, count: z.number().int().min(1).max(100_000).default(200) }),
  'queue.stats': z.strictObject({ connectionId: id }),
  'queue.drones': z.strictObject({ connectionId: id }),
  'queue.unserved': z.strictObject({ connectionId: id }),
  'schedules.list': z.strictObject({ connectionId: id }),
  // The definition is validated by queue.setSchedule (src/schedules/definition.ts), which names the bad value.
  'schedules.set': z.strictObject({
    connectionId: id,
    name: z.string().max(100),
    schedule: z.strictObject({
      cron: z.string().max(200),
      type: z.string().max(100),
      payload: z.unknown().optional(),
      timezone: z.string().max(100).optional(),
      priority: z.number().int().optional(),
      maxAttempts: z.number().int().optional(),
      catchUp: z.number().int().optional(),
      overlap: z.enum(['allow', 'skip']).optional(),
    }),
  }),
  'schedules.remove': z.strictObject({ connectionId: id, name: z.string().max(100) }),
  'schedules.pause': z.strictObject({ connectionId: id, name: z.string().max(100) }),
  'schedules.resume': z.strictObject({ connectionId: id, name: z.string().max(100) }),
  'schedules.run': z.strictObject({ connectionId: id, name: z.string().max(100) }),
  'types.list': z.strictObject({ connectionId: id }),
  // The settings schema is the library's and the config file's (core/flow.ts): one rule for every door.
  'types.set': z.strictObject({ connectionId: id, type: z.string().max(100), settings: typeSettingsSchema }),
  'drones.pause': z.strictObject({ id }),
  'drones.resume': z.strictObject({ id }),
  /** a debug session on a worker process (restarted with the inspector when it has none); workerId omitted: the type's first */
  'debug.attach': z.strictObject({ droneId: id, type: z.string().max(100), workerId: z.string().max(200).optional() }),
  /** one CDP command of the subset in src/debug/protocol.ts, relayed to the session's inspector */
  'debug.command': z.strictObject({ sessionId: id, command: debugCommand }),
  'debug.detach': z.strictObject({ sessionId: id }),
  'debug.sessions': z.strictObject({}),
  /** runs the task once in a scratch worker process (default module: its type's definition); writes nothing to the queue */
  /** debug: the replay's process waits for the console's debugger, which answers paused before the handler (`session`) */
  'tasks.replay': z.strictObject({ connectionId: id, id, module: z.string().min(1).max(4096).optional(), payload: z.unknown().optional(), debug: z.boolean().optional() }),
  /**
   * "Profile the next N tasks" of a type on a drone, or of one of its processes: one CPU profile per
   * process; with several, each profiles until the type has covered N tasks in all (src/workers/profiling.ts)
   */
  'profiles.start': z.strictObject({
    droneId: id,
    type: z.string().max(100),
    workerId: z.string().max(200).optional(),
    tasks: z.number().int().min(1).max(10_000),
    /** V8's sampling interval, µs; default 200 */
    intervalUs: z.number().int().min(50).max(100_000).optional(),
  }),
  /** ends a running profile now with the tasks covered so far */
  'profiles.stop': z.strictObject({ runId: id }),
  /** a heap snapshot of a worker process (the type's first ready one unless named) */
  'profiles.heapSnapshot': z.strictObject({ droneId: id, type: z.string().max(100), workerId: z.string().max(200).optional() }),
  /** stored and running profiles and heap snapshots, newest first */
  'profiles.list': z.strictObject({}),
  'profiles.get': z.strictObject({ id }),
  /** the CPU profiles that covered a task */
  'profiles.forTask': z.strictObject({ taskId: id }),
  /** a chunk (1 MiB, base64) of a ready profile's .cpuprofile or .heapsnapshot, from `offset` */
  'profiles.read': z.strictObject({ id, offset: z.number().int().min(0).default(0) }),
  'profiles.remove': z.strictObject({ id }),
  /** what a drone this console runs holds (its ledger): counts by state and the first `limit` tasks */
  'drones.holdings': z.strictObject({ id, limit: z.number().int().min(1).max(1000).default(200) }),
  /** hands a buffered task of a console drone back to the global queue (no attempt used) */
  'drones.handBack': z.strictObject({ id, taskId: id }),
  /** any drone's running tasks as the global queue knows them (a drone the console does not run) */
  'queue.droneHoldings': z.strictObject({ connectionId: id, droneId: id, limit: z.number().int().min(1).max(1000).default(200) }),
  /** the type-level postback map of the console's drones over the last `windowMs` (at most 10 minutes) */
  'flow.postbacks': z.strictObject({ windowMs: z.number().int().min(1000).max(600_000).default(60_000) }),
  /** the activity list (operator actions), newest first */
  'activity.list': z.strictObject({ limit: z.number().int().min(1).max(1000).default(200), beforeId: z.number().int().positive().optional() }),
} as const

export type ApiMethod = keyof typeof apiInputs
export type ApiParams<M extends ApiMethod> = z.input<(typeof apiInputs)[M]>

export interface TaskDetail {
  task: Task
  logs: TaskLog[]
  attempts: TaskAttempt[]
  children: string[]
  parent: Pick<Task, 'id' | 'type' | 'state'> | null
}

export interface ApiResults {
  'app.info': { version: string; mode: 'desktop' | 'browser'; platform: string; dataDir: string; plaintextSecrets: boolean }
  /** `plaintextSecrets`: the backend is plain text; `accepted`: the user's current answer */
  'app.acceptPlaintextSecrets': { plaintextSecrets: boolean; accepted: boolean }
  'connections.list': Connection[]
  'connections.save': Connection
  'connections.remove': { removed: boolean }
  'connections.test': { ok: true; version: string; roundTripMs: number; schema: 'current' | 'missing' | 'outdated' } | { ok: false; error: string }
  'connections.migrate': { applied: number[] }
  'workers.list': WorkerDefinitionRecord[]
  'workers.save': WorkerDefinitionRecord
  'workers.remove': { removed: boolean }
  'workers.pickModule': { path: string | null; reason?: string }
  'drones.list': DroneView[]
  'drones.start': DroneView
  'drones.stop': { stopped: boolean }
  'drones.dismiss': { dismissed: boolean }
  'drones.restartWorkers': { inspectUrls: string[] }
  'drones.openDevTools': { opened: boolean; url: string }
  'tasks.list': { tasks: Task[]; total: number; totalCapped: boolean }
  'tasks.get': TaskDetail
  'tasks.retry': Task
  'tasks.cancel': Task
  'tasks.delete': { deleted: boolean }
  'tasks.why': WhyReport
  'tasks.enqueue': { id: string }
  'tasks.enqueueMany': { count: number; ids: string[] }
  'tasks.demo': { ids: number }
  'tasks.bulkCount': { matched: number }
  'tasks.bulk': BulkJobView
  'tasks.bulkAbort': { aborted: boolean }
  'tasks.bulkJobs': BulkJobView[]
  'queue.stats': QueueStats
  'queue.drones': DroneInfo[]
  'queue.unserved': UnservedType[]
  'schedules.list': ScheduleView[]
  'schedules.set': Schedule
  'schedules.remove': { removed: boolean }
  'schedules.pause': Schedule
  'schedules.resume': Schedule
  'schedules.run': { id: string }
  'types.list': TypeView[]
  'types.set': TypeSettings
  'drones.pause': DroneView
  'drones.resume': DroneView
  'debug.attach': DebugSessionView
  /** the inspector's answer, as CDP gives it */
  'debug.command': unknown
  'debug.detach': { detached: boolean }
  'debug.sessions': DebugSessionView[]
  'tasks.replay': { replayId: string; module: string; session?: DebugSessionView }
  'activity.list': ActivityEntry[]
  'profiles.start': ProfileView[]
  'profiles.stop': { stopped: boolean }
  'profiles.heapSnapshot': ProfileView
  'profiles.list': ProfileView[]
  'profiles.get': ProfileView
  'profiles.forTask': ProfileView[]
  'profiles.read': ProfileChunk
  'profiles.remove': { removed: boolean }
  'drones.holdings': DroneHoldingsView
  'drones.handBack': { handedBack: true }
  'queue.droneHoldings': LeasedHoldingsView
  'flow.postbacks': PostbackMapView
}

/** Errors cross every transport as this shape; `code` lets the UI say how to fix it. */
export interface ApiErrorShape {
  /** 'connection': the queue's database cannot be reached (src/api/connection-errors.ts); 'internal': a fault of the console itself */
  code: 'input' | 'not-found' | 'schema' | 'internal' | 'forbidden' | 'connection'
  message: string
}

/** What the renderer calls, whatever the transport. */
export interface SwarmageApi {
  call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResults[M]>
  subscribe(listener: (message: PushMessage) => void): () => void
}

export const API_METHODS = Object.keys(apiInputs) as ApiMethod[]
export const IPC_PREFIX = 'swarmage:'
export const IPC_PUSH = 'swarmage:push'
/**
 * What main answers on `swarmage:<method>` (src/main/ipc-router.ts), what the preload hands the page
 * unchanged (structured clone: the error keeps its code as a field, never "[code] message" text) and
 * what the renderer's bridge transport unwraps. A value either way, never a thrown error.
 */
export type IpcReply<M extends ApiMethod = ApiMethod> = { result: ApiResults[M] } | { error: ApiErrorShape }

/** WebSocket frames of the browser console (`swarmage console`, src/console/server.ts) at `/ws?token=…`. */
export interface ConsoleClientFrame {
  id: number | string
  method: ApiMethod
  params: unknown
}
/** A reply (`id` null when the frame itself could not be read) or a push. */
export type ConsoleServerFrame =
  | { id: number | string; result: unknown }
  | { id: number | string | null; error: ApiErrorShape }
  | { push: PushMessage }
