/**
 * Messages between a drone and one worker process, as a discriminated union on `t`. Every message
 * carries batches: a drone dispatches many tasks in one `run`, and the host flushes its events once
 * per turn of its event loop, so a busy worker costs one message per batch, not per task.
 */
import type { ClaimedTask, TaskError } from '../core/task.ts'

/** One task as a worker process gets it: the claim's fields (one definition: ClaimedTask) and its timeout. */
export interface RunItem extends Pick<ClaimedTask, 'id' | 'type' | 'payloadJson' | 'attempt' | 'maxAttempts' | 'parentId'> {
  timeoutMs: number
  /** The task's stored W3C traceparent: the run span continues it (src/tracing). */
  traceparent?: string
}

/** Why a task's signal was aborted; also `signal.reason.reason` in the worker (see host-runtime.ts). */
export type AbortReason = 'cancelled' | 'timeout' | 'shutdown' | 'lease-lost'

export type ToWorker =
  /**
   * `echoOutput` false: captured task output is not also written to the process's stdout/stderr (replay).
   * `breakBeforeRun`: with the inspector on, each task waits for a debugger and pauses just before the handler.
   */
  | { t: 'init'; type: string; modulePath: string; config: unknown; concurrency: number; echoOutput?: boolean; breakBeforeRun?: boolean }
  | { t: 'run'; tasks: RunItem[] }
  | { t: 'abort'; ids: string[]; reason: AbortReason }
  | { t: 'enqueued'; replies: Array<{ reqId: number; id?: string; error?: string }> }
  /** Finish running tasks (they are aborted after graceMs), run teardown, then exit. */
  | { t: 'shutdown'; graceMs: number }
  /**
   * Runs the V8 CPU profiler (host-profiler.ts) until `tasks` tasks that started under it have finished
   * in this process, or a `profile-stop`; the profile then comes back as `chunk` messages and a
   * `profile-end`. `maxBytes` bounds the serialized profile (a bigger one ends with an error instead).
   */
  | { t: 'profile-start'; profileId: string; tasks: number; intervalUs: number; maxBytes: number }
  | { t: 'profile-stop'; profileId: string }
  /** A heap snapshot, streamed as `chunk` messages and a `heap-end`; stops forwarding past `maxBytes`. */
  | { t: 'heap-snapshot'; reqId: string; maxBytes: number }

export type WorkerItem =
  | { k: 'started'; id: string; at: number }
  /** `runMs`: the handler's run time, start to end, on this process's monotonic clock (performance.now()). */
  | { k: 'succeeded'; id: string; resultJson: string; at: number; runMs?: number }
  /** `aborted`: the task's signal had been aborted (for this reason) before it failed. */
  | { k: 'failed'; id: string; error: TaskError; permanent: boolean; at: number; aborted?: AbortReason; runMs?: number }
  /** A task the host gives back unstarted (abort before start, shutdown): it used no attempt. */
  | { k: 'released'; id: string; at: number }
  /** `stream`: a line the task wrote to stdout/stderr (output-capture.ts); absent for ctx.log. */
  | { k: 'log'; id: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string; data?: unknown; at: number; stream?: 'stdout' | 'stderr' }
  | { k: 'progress'; id: string; value: unknown; at: number }
  /** `traceparent`: the postback's enqueue span (a child of the run's), stored with the new task. */
  | { k: 'enqueue'; reqId: number; parentId: string; type: string; payload: unknown; options: Record<string, unknown>; traceparent?: string }

export type FromWorker =
  /** `inspectUrl`: the inspector's ws:// address when the process runs with --inspect. */
  | { t: 'ready'; pid: number; inspectUrl?: string }
  | { t: 'init-error'; error: TaskError }
  | { t: 'items'; items: WorkerItem[] }
  | { t: 'stats'; rssBytes: number; cpuUserUs: number; cpuSystemUs: number }
  | { t: 'bye' }
  /** A profiled task finished: `done` covered tasks so far (the drone splits N across processes). */
  | { t: 'profile-progress'; profileId: string; done: number }
  /** A piece of a profile or heap snapshot (`reqId`: the profileId or the snapshot's reqId), in order. */
  | { t: 'chunk'; reqId: string; data: string }
  /**
   * The profile's last message, after its chunks. `taskIds`: the tasks that started and finished under
   * the profiler. `error`: no profile (too big, the profiler failed); its chunks, if any, are void.
   */
  | { t: 'profile-end'; profileId: string; taskIds: string[]; startedAt: number; endedAt: number; samples: number; bytes: number; error?: string }
  | { t: 'heap-end'; reqId: string; bytes: number; error?: string }
