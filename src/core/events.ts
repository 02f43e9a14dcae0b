/**
 * The drone's typed event stream: the console draws it, metrics count it, tests await it.
 * One `DroneEvent` union; `kind` names what happened. Every event has `at` (ms since epoch, drone clock).
 */
export type TaskEventKind =
  | 'claimed'
  | 'dispatched'
  | 'started'
  | 'progress'
  | 'log'
  | 'succeeded'
  | 'failed'
  | 'retried'
  | 'cancelled'
  | 'handed-back'
  | 'lease-lost'

export interface TaskEvent {
  kind: TaskEventKind
  taskId: string
  type: string
  at: number
  attempt?: number
  /** worker process id (our slot id, not the OS pid) */
  workerId?: string
  pid?: number
  durationMs?: number
  error?: { message: string; stack?: string }
  progress?: unknown
  /** `stream`: 'stdout' | 'stderr' for captured output; absent for ctx.log lines. */
  log?: { level: 'debug' | 'info' | 'warn' | 'error'; message: string; data?: unknown; stream?: 'stdout' | 'stderr' }
  /** retried: when the next attempt may run */
  retryInMs?: number
  /** claimed: when the task became due (its runAt, ms since epoch, the queue's clock), for the enqueue→start wait */
  dueAt?: number
}

export type WorkerProcessState = 'starting' | 'idle' | 'busy' | 'stopping' | 'crashed' | 'exited'

export interface WorkerEvent {
  kind: 'worker-spawned' | 'worker-ready' | 'worker-exited' | 'worker-error'
  type: string
  workerId: string
  pid?: number
  at: number
  code?: number | null
  signal?: string | null
  error?: { message: string; stack?: string }
  /** inspector address when the process runs with the inspector on */
  inspectUrl?: string
}

export interface DroneStateEvent {
  kind: 'drone-state'
  state: DroneState
  at: number
  /** 'push' while wake-ups are pushed, 'polling' when degraded */
  signals?: 'push' | 'polling'
  error?: { message: string }
}

export type DroneState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed'

export type DroneEvent = TaskEvent | WorkerEvent | DroneStateEvent
