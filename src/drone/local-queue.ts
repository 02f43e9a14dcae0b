import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { SwarmageError } from '../core/errors.ts'
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../core/sqlite-lib.ts'
import type { ClaimedTask, Completion, LeaseRef } from '../core/task.ts'

/**
 * The drone's local queue: one SQLite database per drone holding every task it has in hand, so a
 * drone that dies can, on restart, send the outcomes it had already computed, hand back what never
 * started and fail (with retry) what was running. An in-memory mirror answers every read; SQLite is
 * only written, in one transaction per batch (a claim, a dispatch, a batch of worker items, an
 * acknowledged completion batch).
 *
 * Row states: buffered → dispatched (sent to a worker process) → started → done (outcome computed,
 * completion not yet acknowledged by the global queue). A lost worker process sends unstarted rows
 * back to buffered. Rows are deleted once the global queue acknowledged their completion, or when the
 * drone drops them (lease lost, cancelled).
 */
export type LocalTaskState = 'buffered' | 'dispatched' | 'started' | 'done'

export interface LocalTask {
  id: string
  type: string
  payloadJson: string
  attempt: number
  maxAttempts: number
  parentId: string | null
  leaseSeq: number
  state: LocalTaskState
  workerId: string | null
  pid: number | null
  /** started: ms since epoch (drone clock) */
  startedAt: number | null
  /** done: the completion to send */
  completion: Completion | null
  /** In memory only: times a crashed process lost this task before it reported it started. */
  unstartedLosses?: number
}

export type LocalUpdate =
  | { id: string; to: 'dispatched'; workerId: string; pid: number | null }
  | { id: string; to: 'started'; at: number }
  | { id: string; to: 'done'; completion: Completion }
  | { id: string; to: 'buffered' }

/** Another live drone holds this local queue file (SQLite's exclusive lock told us). */
export class LocalQueueLockedError extends SwarmageError {
  override name = 'LocalQueueLockedError'
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS task (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  parent_id TEXT,
  lease_seq INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('buffered', 'dispatched', 'started', 'done')),
  worker_id TEXT,
  pid INTEGER,
  outcome_json TEXT,
  started_at INTEGER
)`

interface Row {
  id: string
  type: string
  payload_json: string
  attempt: number
  max_attempts: number
  parent_id: string | null
  lease_seq: number
  state: LocalTaskState
  worker_id: string | null
  pid: number | null
  outcome_json: string | null
  started_at: number | null
}

export class LocalQueue {
  private readonly tasks = new Map<string, LocalTask>()
  private readonly inHandByType = new Map<string, number>()
  private readonly doneByType = new Map<string, number>()
  private readonly st: {
    insert: SqliteStatement
    dispatch: SqliteStatement
    start: SqliteStatement
    done: SqliteStatement
    buffer: SqliteStatement
    remove: SqliteStatement
  }
  private closed = false
  /** One reusable transaction wrapper (better-sqlite3 builds a function per transaction() call). */
  private readonly runTx: (fn: () => void) => void

  private constructor(
    private readonly db: SqliteDatabase,
    readonly path: string,
  ) {
    this.runTx = db.transaction((fn: () => void) => fn())
    this.st = {
      insert: db.prepare(
        `INSERT OR REPLACE INTO task (id, type, payload_json, attempt, max_attempts, parent_id, lease_seq, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'buffered')`,
      ),
      dispatch: db.prepare(`UPDATE task SET state = 'dispatched', worker_id = ?, pid = ? WHERE id = ?`),
      start: db.prepare(`UPDATE task SET state = 'started', started_at = ? WHERE id = ?`),
      done: db.prepare(`UPDATE task SET state = 'done', outcome_json = ? WHERE id = ?`),
      buffer: db.prepare(`UPDATE task SET state = 'buffered', worker_id = NULL, pid = NULL, started_at = NULL WHERE id = ?`),
      // Fenced by lease_seq: an old lease's late acknowledgement must not delete a re-claimed task.
      remove: db.prepare(`DELETE FROM task WHERE id = ? AND lease_seq = ?`),
    }
    for (const row of db.prepare(`SELECT * FROM task ORDER BY rowid`).all() as Row[]) {
      this.remember(fromRow(row))
    }
  }

  /**
   * Opens (creating) the database at `path` and takes SQLite's exclusive lock for as long as it is
   * open, so two drones can never share one local queue. Throws LocalQueueLockedError when another
   * connection (in any process) holds it.
   */
  static open(params: { path: string }): LocalQueue {
    mkdirSync(dirname(params.path), { recursive: true })
    // timeout 0: a held lock answers SQLITE_BUSY at once instead of after the 5 s busy wait.
    const db = openSqlite(params.path, { timeout: 0 })
    try {
      // EXCLUSIVE before WAL: the WAL index then lives in heap memory and the lock is never released.
      db.pragma('locking_mode = EXCLUSIVE')
      db.pragma('journal_mode = WAL')
      // NORMAL in WAL: a power loss may lose the last transactions but never corrupts; a killed
      // process loses nothing (the WAL is in the OS's page cache).
      db.pragma('synchronous = NORMAL')
      // A write takes (and, in exclusive mode, keeps) the lock now, not at the first claim.
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA}; COMMIT`)
      return new LocalQueue(db, params.path)
    } catch (err) {
      db.close()
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY') || (err as { code?: string }).code === 'SQLITE_LOCKED') {
        throw new LocalQueueLockedError(`local queue ${params.path} is in use by another drone`, { cause: err })
      }
      throw err
    }
  }

  get size(): number {
    return this.tasks.size
  }

  taskGet(params: { id: string }): LocalTask | undefined {
    return this.tasks.get(params.id)
  }

  /** Every task in hand, in claim order. The returned array is a copy; the tasks are live (read-only). */
  taskList(params: { state?: LocalTaskState; type?: string } = {}): LocalTask[] {
    const out: LocalTask[] = []
    for (const t of this.tasks.values()) {
      if ((params.state === undefined || t.state === params.state) && (params.type === undefined || t.type === params.type)) out.push(t)
    }
    return out
  }

  /** The oldest buffered tasks of a type, up to `limit`. */
  taskListBuffered(params: { type: string; limit: number }): LocalTask[] {
    const out: LocalTask[] = []
    if (params.limit <= 0) return out
    for (const t of this.tasks.values()) {
      if (t.state === 'buffered' && t.type === params.type) {
        out.push(t)
        if (out.length >= params.limit) break
      }
    }
    return out
  }

  /** Tasks of a type in hand in any state (what counts against its capacity). */
  countInHand(params: { type: string }): number {
    return this.inHandByType.get(params.type) ?? 0
  }

  /** Tasks of a type whose outcome awaits acknowledgement by the global queue. */
  countDone(params: { type: string }): number {
    return this.doneByType.get(params.type) ?? 0
  }

  countByState(params: { type?: string } = {}): Record<LocalTaskState, number> {
    const c: Record<LocalTaskState, number> = { buffered: 0, dispatched: 0, started: 0, done: 0 }
    for (const t of this.tasks.values()) if (params.type === undefined || t.type === params.type) c[t.state]++
    return c
  }

  /** Buffers claimed tasks, in one transaction. */
  taskInsertMany(params: { tasks: readonly ClaimedTask[] }): LocalTask[] {
    if (params.tasks.length === 0) return []
    const inserted = params.tasks.map(
      (c): LocalTask => ({
        id: c.id,
        type: c.type,
        payloadJson: c.payloadJson,
        attempt: c.attempt,
        maxAttempts: c.maxAttempts,
        parentId: c.parentId,
        leaseSeq: c.leaseSeq,
        state: 'buffered',
        workerId: null,
        pid: null,
        startedAt: null,
        completion: null,
      }),
    )
    this.tx(() => {
      for (const t of inserted) this.st.insert.run(t.id, t.type, t.payloadJson, t.attempt, t.maxAttempts, t.parentId, t.leaseSeq)
    })
    for (const t of inserted) {
      const old = this.tasks.get(t.id)
      if (old) this.forget(old)
      this.remember(t)
    }
    return inserted
  }

  /**
   * Applies state changes in one transaction. Updates for ids no longer in hand are skipped (a
   * worker's late report on a task dropped after a lost lease). Returns the tasks updated.
   */
  taskUpdateMany(params: { updates: readonly LocalUpdate[] }): LocalTask[] {
    const applied: Array<{ task: LocalTask; u: LocalUpdate }> = []
    for (const u of params.updates) {
      const task = this.tasks.get(u.id)
      if (task) applied.push({ task, u })
    }
    if (applied.length === 0) return []
    this.tx(() => {
      for (const { u } of applied) {
        switch (u.to) {
          case 'dispatched':
            this.st.dispatch.run(u.workerId, u.pid, u.id)
            break
          case 'started':
            this.st.start.run(u.at, u.id)
            break
          case 'done':
            this.st.done.run(JSON.stringify(u.completion), u.id)
            break
          case 'buffered':
            this.st.buffer.run(u.id)
            break
        }
      }
    })
    for (const { task, u } of applied) {
      if (u.to === 'done' && task.state !== 'done') bump(this.doneByType, task.type, 1)
      else if (u.to !== 'done' && task.state === 'done') bump(this.doneByType, task.type, -1)
      task.state = u.to
      if (u.to === 'dispatched') {
        task.workerId = u.workerId
        task.pid = u.pid
      } else if (u.to === 'started') {
        task.startedAt = u.at
      } else if (u.to === 'done') {
        task.completion = u.completion
      } else {
        task.workerId = null
        task.pid = null
        task.startedAt = null
      }
    }
    return applied.map((a) => a.task)
  }

  /** Forgets tasks (completion acknowledged, or dropped), fenced by lease sequence, in one transaction. */
  taskDeleteMany(params: { refs: readonly LeaseRef[] }): number {
    const gone: LocalTask[] = []
    for (const r of params.refs) {
      const t = this.tasks.get(r.id)
      if (t && t.leaseSeq === r.leaseSeq) gone.push(t)
    }
    if (gone.length === 0) return 0
    this.tx(() => {
      for (const t of gone) this.st.remove.run(t.id, t.leaseSeq)
    })
    for (const t of gone) this.forget(t)
    return gone.length
  }

  /** SQLite's `PRAGMA integrity_check`: 'ok' when the file is sound. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>
    return rows.map((r) => r.integrity_check).join('; ')
  }

  /** Closes the database (releasing the lock). Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }

  private tx(fn: () => void): void {
    this.runTx(fn)
  }

  private remember(t: LocalTask): void {
    this.tasks.set(t.id, t)
    bump(this.inHandByType, t.type, 1)
    if (t.state === 'done') bump(this.doneByType, t.type, 1)
  }

  private forget(t: LocalTask): void {
    this.tasks.delete(t.id)
    bump(this.inHandByType, t.type, -1)
    if (t.state === 'done') bump(this.doneByType, t.type, -1)
  }
}

function bump(counts: Map<string, number>, type: string, by: number): void {
  const n = (counts.get(type) ?? 0) + by
  if (n <= 0) counts.delete(type)
  else counts.set(type, n)
}

function fromRow(r: Row): LocalTask {
  let completion: Completion | null = null
  if (r.outcome_json !== null) {
    const c = JSON.parse(r.outcome_json) as Completion & { startedAt?: string | null }
    completion = { ...c, startedAt: c.startedAt ? new Date(c.startedAt) : null }
  }
  return {
    id: r.id,
    type: r.type,
    payloadJson: r.payload_json,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    parentId: r.parent_id,
    leaseSeq: r.lease_seq,
    state: r.state,
    workerId: r.worker_id,
    pid: r.pid,
    startedAt: r.started_at,
    completion,
  }
}
