import type { ClaimedTask, Task, TaskError, TaskState } from '../core/task.ts'
import { scheduleOfKey } from '../schedules/key.ts'
import type { DroneInfo, LogStream, TaskAttempt, TaskLog } from './driver.ts'

/**
 * Rows of the queue's tables as a driver reads them, generic in how its dialect stores times and JSON
 * (PostgreSQL: Date and parsed json; SQLite: integer ms and text), and the one mapping to the public
 * shapes every driver shares, so backends cannot drift apart in what a task looks like.
 */
export interface RowCodec<Time, Json> {
  /** A stored time as ISO-8601. */
  time(t: Time): string
  /** A stored time as ms since epoch (what a claimed task carries: no string on the claim's hot path). */
  ms(t: Time): number
  /** A stored JSON value, decoded (null stays null). */
  json(v: Json): unknown
}

export interface TaskRowOf<Time, Json> {
  id: string
  type: string
  payload: Json
  state: TaskState
  priority: number
  run_at: Time
  attempts: number
  max_attempts: number
  key: string | null
  parent_id: string | null
  grp: string | null
  result: Json
  error: Json
  drone: string | null
  created_at: Time
  started_at: Time | null
  finished_at: Time | null
}

export interface LogRowOf<Time, Json> {
  task_id: string
  attempt: number
  level: TaskLog['level']
  stream: LogStream
  message: string
  data: Json
  at: Time
}

export interface AttemptRowOf<Time, Json> {
  task_id: string
  attempt: number
  drone: string | null
  worker_pid: number | null
  started_at: Time | null
  finished_at: Time
  outcome: TaskAttempt['outcome']
  error: Json
}

/** What a claim statement returns per task; the payload stays JSON text (the drone passes it through undecoded). */
export interface ClaimRowOf<Time> {
  id: string
  type: string
  payload: string
  attempts: number
  max_attempts: number
  parent_id: string | null
  lease_seq: number
  run_at: Time
  traceparent: string | null
}

export interface DroneRowOf<Time, Json> {
  id: string
  name: string
  host: string
  pid: number
  started_at: Time
  last_seen: Time
  info: Json
}

export function rowMappers<Time, Json>(codec: RowCodec<Time, Json>) {
  const iso = (t: Time): string => codec.time(t)
  const isoOrNull = (t: Time | null): string | null => (t === null ? null : codec.time(t))
  const json = (v: Json): unknown => codec.json(v) ?? null
  const ms = codec.ms
  return {
    /** Runs per claimed task: one object literal, nothing else allocated. */
    toClaimed(r: ClaimRowOf<Time>): ClaimedTask {
      return {
        id: r.id,
        type: r.type,
        payloadJson: r.payload,
        attempt: r.attempts,
        maxAttempts: r.max_attempts,
        parentId: r.parent_id,
        leaseSeq: r.lease_seq,
        runAt: ms(r.run_at),
        traceparent: r.traceparent,
      }
    },
    toTask(r: TaskRowOf<Time, Json>): Task {
      const schedule = scheduleOfKey(r.key)
      const task: Task = {
        id: r.id,
        type: r.type,
        payload: json(r.payload),
        state: r.state,
        priority: r.priority,
        runAt: iso(r.run_at),
        attempts: r.attempts,
        maxAttempts: r.max_attempts,
        key: r.key,
        parentId: r.parent_id,
        group: r.grp ?? null,
        result: json(r.result),
        error: json(r.error) as TaskError | null,
        drone: r.drone,
        createdAt: iso(r.created_at),
        startedAt: isoOrNull(r.started_at),
        finishedAt: isoOrNull(r.finished_at),
      }
      if (schedule) task.schedule = schedule
      return task
    },
    toLog(r: LogRowOf<Time, Json>): TaskLog {
      const log: TaskLog = { taskId: r.task_id, attempt: r.attempt, level: r.level, stream: r.stream, message: r.message, at: iso(r.at) }
      const data = json(r.data)
      if (data !== null) log.data = data
      return log
    },
    toAttempt(r: AttemptRowOf<Time, Json>): TaskAttempt {
      return {
        taskId: r.task_id,
        attempt: r.attempt,
        drone: r.drone,
        workerPid: r.worker_pid,
        startedAt: isoOrNull(r.started_at),
        finishedAt: iso(r.finished_at),
        outcome: r.outcome,
        error: json(r.error) as TaskError | null,
      }
    },
    toDrone(r: DroneRowOf<Time, Json>): DroneInfo {
      return {
        id: r.id,
        name: r.name,
        host: r.host,
        pid: r.pid,
        startedAt: iso(r.started_at),
        lastSeen: iso(r.last_seen),
        info: (json(r.info) as Record<string, unknown> | null) ?? {},
      }
    },
  }
}
