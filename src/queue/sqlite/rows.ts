import type { Task, TaskError, TaskState } from '../../core/task.ts'
import type { DroneInfo, TaskAttempt, TaskLog } from '../driver.ts'

/** Rows as SQLite returns them (times in integer ms), and their conversion to the public shapes. */
export interface TaskRow {
  id: string
  type: string
  payload: string
  state: TaskState
  priority: number
  run_at: number
  attempts: number
  max_attempts: number
  key: string | null
  parent_id: string | null
  result: string | null
  error: string | null
  drone: string | null
  created_at: number
  started_at: number | null
  finished_at: number | null
}

/** The running task a completion, cancel or rescue acts on, read inside the write transaction. */
export interface HeldRow {
  id: string
  type: string
  state: TaskState
  attempts: number
  max_attempts: number
  drone: string | null
  started_at: number | null
  key: string | null
  lease_seq: number
}

export interface ClaimRow {
  id: string
  type: string
  payload: string
  attempts: number
  max_attempts: number
  parent_id: string | null
  lease_seq: number
  priority: number
  run_at: number
  created_at: number
}

export interface LogRow {
  task_id: string
  attempt: number
  level: TaskLog['level']
  message: string
  data: string | null
  at: number
}

export interface AttemptRow {
  task_id: string
  attempt: number
  drone: string | null
  worker_pid: number | null
  started_at: number | null
  finished_at: number
  outcome: TaskAttempt['outcome']
  error: string | null
}

export interface DroneRow {
  id: string
  name: string
  host: string
  pid: number
  started_at: number
  last_seen: number
  info: string
}

export const TASK_COLUMNS =
  'id, type, payload, state, priority, run_at, attempts, max_attempts, key, parent_id, result, error, drone, created_at, started_at, finished_at'

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

function parseOrNull<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T)
}

export function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    type: r.type,
    payload: JSON.parse(r.payload) as unknown,
    state: r.state,
    priority: r.priority,
    runAt: iso(r.run_at),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    key: r.key,
    parentId: r.parent_id,
    result: parseOrNull<unknown>(r.result),
    error: parseOrNull<TaskError>(r.error),
    drone: r.drone,
    createdAt: iso(r.created_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
  }
}

export function toLog(r: LogRow): TaskLog {
  const log: TaskLog = { taskId: r.task_id, attempt: r.attempt, level: r.level, message: r.message, at: iso(r.at) }
  if (r.data !== null) log.data = JSON.parse(r.data) as unknown
  return log
}

export function toAttempt(r: AttemptRow): TaskAttempt {
  return {
    taskId: r.task_id,
    attempt: r.attempt,
    drone: r.drone,
    workerPid: r.worker_pid,
    startedAt: isoOrNull(r.started_at),
    finishedAt: iso(r.finished_at),
    outcome: r.outcome,
    error: parseOrNull<TaskError>(r.error),
  }
}

export function toDrone(r: DroneRow): DroneInfo {
  return {
    id: r.id,
    name: r.name,
    host: r.host,
    pid: r.pid,
    startedAt: iso(r.started_at),
    lastSeen: iso(r.last_seen),
    info: JSON.parse(r.info) as Record<string, unknown>,
  }
}
