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
import type { ScheduleView } from './schedules.ts'

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

export interface Connection extends Omit<ConnectionInput, 'password' | 'id'> {
  id: string
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
  startedAt: string
  types: Array<{ type: string; capacity: number; buffered: number; running: number; done: number; failed: number }>
  leases: { held: number; lost: number; lastExtendAt: string | null }
  processes: WorkerProcessView[]
  error?: string
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

export const listTasksInput = z.strictObject({
  connectionId: id,
  state: taskState.optional(),
  type: z.string().max(100).optional(),
  search: z.string().max(1000).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  before: z.strictObject({ createdAt: z.string(), id: z.string() }).optional(),
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
  'drones.restartWorkers': z.strictObject({ id, type: z.string().max(100), workerId: z.string().max(200).optional(), inspect: z.boolean().default(false) }),
  'drones.openDevTools': z.strictObject({ inspectUrl: z.string().max(2000) }),
  'tasks.list': listTasksInput,
  'tasks.get': z.strictObject({ connectionId: id, id }),
  'tasks.retry': z.strictObject({ connectionId: id, id }),
  'tasks.cancel': z.strictObject({ connectionId: id, id }),
  'tasks.delete': z.strictObject({ connectionId: id, id }),
  'tasks.enqueue': z.strictObject({
    connectionId: id,
    type: z.string().max(100),
    payload: z.unknown(),
    options: enqueueOptions.optional(),
  }),
  'tasks.demo': z.strictObject({ connectionId: id, count: z.number().int().min(1).max(100_000).default(200) }),
  'queue.stats': z.strictObject({ connectionId: id }),
  'queue.drones': z.strictObject({ connectionId: id }),
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
  'drones.restartWorkers': { inspectUrls: string[] }
  'drones.openDevTools': { opened: boolean; url: string }
  'tasks.list': { tasks: Task[]; total: number; totalCapped: boolean }
  'tasks.get': TaskDetail
  'tasks.retry': Task
  'tasks.cancel': Task
  'tasks.delete': { deleted: boolean }
  'tasks.enqueue': { id: string }
  'tasks.demo': { ids: number }
  'queue.stats': QueueStats
  'queue.drones': DroneInfo[]
  'schedules.list': ScheduleView[]
  'schedules.set': Schedule
  'schedules.remove': { removed: boolean }
  'schedules.pause': Schedule
  'schedules.resume': Schedule
  'schedules.run': { id: string }
}

/** Errors cross every transport as this shape; `code` lets the UI say how to fix it. */
export interface ApiErrorShape {
  code: 'input' | 'not-found' | 'schema' | 'internal' | 'forbidden'
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
