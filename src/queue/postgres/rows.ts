import type { Task, TaskError, TaskState } from '../../core/task.ts'
import type { DroneInfo, TaskAttempt, TaskLog } from '../driver.ts'

/** Rows as pg returns them (timestamptz → Date, json → parsed), and their public shapes. */
export interface TaskRow {
  id: string
  type: string
  payload: unknown
  state: TaskState
  priority: number
  run_at: Date
  attempts: number
  max_attempts: number
  key: string | null
  parent_id: string | null
  result: unknown
  error: TaskError | null
  drone: string | null
  created_at: Date
  started_at: Date | null
  finished_at: Date | null
}

export interface ClaimRow {
  id: string
  type: string
  payload: string
  attempts: number
  max_attempts: number
  parent_id: string | null
  lease_seq: number
}

export interface LogRow {
  task_id: string
  attempt: number
  level: TaskLog['level']
  message: string
  data: unknown
  at: Date
}

export interface AttemptRow {
  task_id: string
  attempt: number
  drone: string | null
  worker_pid: number | null
  started_at: Date | null
  finished_at: Date
  outcome: TaskAttempt['outcome']
  error: TaskError | null
}

export interface DroneRow {
  id: string
  name: string
  host: string
  pid: number
  started_at: Date
  last_seen: Date
  info: Record<string, unknown> | null
}

const iso = (d: Date): string => d.toISOString()
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString())

export function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    type: r.type,
    payload: r.payload,
    state: r.state,
    priority: r.priority,
    runAt: iso(r.run_at),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    key: r.key,
    parentId: r.parent_id,
    result: r.result,
    error: r.error,
    drone: r.drone,
    createdAt: iso(r.created_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
  }
}

export function toLog(r: LogRow): TaskLog {
  const log: TaskLog = { taskId: r.task_id, attempt: r.attempt, level: r.level, message: r.message, at: iso(r.at) }
  if (r.data !== null && r.data !== undefined) log.data = r.data
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
    error: r.error,
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
    info: r.info ?? {},
  }
}
