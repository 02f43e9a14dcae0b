import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { SwarmageError } from '../core/errors.ts'
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../core/sqlite-lib.ts'
import type { ClaimedTask, LeaseRef } from '../core/task.ts'
import { deleteRuns, fromRow, HELD_COLUMNS, INSERT_ROWS, outcomeJson, ROW_PARAMS, ROW_VALUES, SCHEMA, UPGRADE_V1, type LocalTask, type LocalTaskState, type LocalUpdate, type Row } from './local-rows.ts'

export type { LocalTask, LocalTaskState, LocalUpdate } from './local-rows.ts'

/**
 * How long a task may be held unstarted before its row is written (see LocalQueue). Short against a
 * lease (30 s by default), which is what rescues an unwritten task if the drone dies; long against a
 * no-op task's time in hand (tens of ms in a burn-down), so most tasks are first written started.
 */
export const UNSTARTED_WRITE_MS = 1_000

/** Another live drone holds this local queue file (SQLite's exclusive lock told us). */
export class LocalQueueLockedError extends SwarmageError {
  override name = 'LocalQueueLockedError'
}

/**
 * The drone's local queue: one SQLite database per drone holding the tasks it has in hand, so a
 * drone that dies can, on restart, send the outcomes it had already computed, hand back what never
 * started and fail (with retry) what was running. An in-memory mirror answers every read; SQLite is
 * only written.
 *
 * Writes are behind by at most one turn of the event loop: every change marks its task dirty, and
 * one transaction at the end of the turn (setImmediate) writes each dirty task's latest state with
 * one statement, whatever it went through meanwhile (started and finished in one worker message: one
 * INSERT of the finished state, or one UPDATE of a row already written). A crash loses only the
 * current turn's changes, which is what a crash a moment earlier would have lost; flush() writes at
 * once (the completer calls it before telling the global queue). Measured per no-op task: 5
 * statements and 5 commits before the first round, ~2 statements (1 INSERT, a share of a ranged
 * DELETE) and 1/110 of a commit after the third (docs/performance.md).
 *
 * Rows are addressed by an INTEGER PRIMARY KEY `n` given in write order, not by the task's random
 * UUID: a batch's inserts append to the last pages and its updates and deletes touch the same few
 * pages, instead of one random B-tree page (plus an index page) per task. Acknowledged rows are
 * deleted by ranges of consecutive `n` (one statement per run, not per row).
 *
 * A task that has not started is not written until it has been held `unstartedWriteMs` (1 s by
 * default): most tasks start (and many finish) before that, so their first write is the INSERT of
 * their started or done state and the UPDATE it used to take is saved (3 → 2 statements per task,
 * docs/performance.md "Third round"). What a restart does with an unstarted row is hand it back; a
 * drone that dies with unwritten unstarted tasks leaves them to their lease instead (CONTRACT.md: a
 * dead drone's tasks go to any live drone once their lease runs out), so nothing is lost, and a task
 * reported started is always written before its event is emitted.
 *
 * Row states: buffered → dispatched (sent to a worker process) → started → done (outcome computed,
 * completion not yet acknowledged by the global queue). A lost worker process sends unstarted rows
 * back to buffered. Rows are deleted once the global queue acknowledged their completion, or when the
 * drone drops them (lease lost, cancelled).
 */
export class LocalQueue {
  private readonly tasks = new Map<string, LocalTask>()
  private readonly inHandByType = new Map<string, number>()
  private readonly doneByType = new Map<string, number>()
  private readonly st: { insert: SqliteStatement; insertMany: SqliteStatement; update: SqliteStatement; removeRange: SqliteStatement }
  /** The bound values of up to INSERT_ROWS rows for st.insertMany, reused from flush to flush. */
  private readonly insertArgs: unknown[] = []
  private closed = false
  /** Tasks whose row must be written (inserted when `row` is 0) at the next flush. */
  private dirty = new Set<LocalTask>()
  /**
   * Tasks whose row is behind only between buffered and dispatched (written with their next change,
   * or by close()): a restart treats both alike (unstarted: handed back), so a crash loses nothing
   * by it, and most tasks save an UPDATE (measured 3.6 → 3.0 statements per no-op task).
   */
  private lazy = new Set<LocalTask>()
  /**
   * New tasks not started yet, in claim order, whose row is not written until they are
   * `unstartedWriteMs` old (or start, or close()): see the class comment.
   */
  private unwritten = new Set<LocalTask>()
  private ageTimer: NodeJS.Timeout | null = null
  /** Rows to delete at the next flush. */
  private gone: number[] = []
  /** Writes since open: transactions and statements (docs/performance.md counts them per task). */
  readonly writes = { transactions: 0, inserts: 0, updates: 0, deletes: 0 }
  private flushScheduled = false
  private afterFlushes: Array<() => void> = []
  private lastRow = 0
  /** One reusable transaction wrapper (better-sqlite3 builds a function per transaction() call). */
  private readonly runTx: (fn: () => void) => void
  /** Errors of a deferred flush (the changes stay pending and are written by the next one). */
  onError: (err: unknown) => void = (err) => process.stderr.write(`[swarmage local queue] ${String(err)}\n`)

  private constructor(
    private readonly db: SqliteDatabase,
    readonly path: string,
    private readonly unstartedWriteMs: number,
  ) {
    this.runTx = db.transaction((fn: () => void) => fn())
    this.st = {
      insert: db.prepare(`INSERT INTO held ${HELD_COLUMNS} VALUES ${ROW_PARAMS}`),
      insertMany: db.prepare(`INSERT INTO held ${HELD_COLUMNS} VALUES ${Array<string>(INSERT_ROWS).fill(ROW_PARAMS).join(', ')}`),
      update: db.prepare(`UPDATE held SET state = ?, worker_id = ?, pid = ?, outcome_json = ?, started_at = ? WHERE n = ?`),
      removeRange: db.prepare(`DELETE FROM held WHERE n BETWEEN ? AND ?`),
    }
    for (const row of db.prepare(`SELECT * FROM held ORDER BY n`).all() as Row[]) {
      const t = fromRow(row)
      const old = this.tasks.get(t.id)
      // Two rows of one task (a crash between a re-claim's insert and the old row's delete): the later claim wins.
      if (old) this.forget(old)
      this.remember(t)
      this.lastRow = row.n
    }
    this.flushNow()
  }

  /**
   * Opens (creating) the database at `path` and takes SQLite's exclusive lock for as long as it is
   * open, so two drones can never share one local queue. Throws LocalQueueLockedError when another
   * connection (in any process) holds it.
   */
  static open(params: { path: string; unstartedWriteMs?: number }): LocalQueue {
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
      const v1 = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task'`).get() !== undefined
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA}; ${v1 ? UPGRADE_V1 : ''}; COMMIT`)
      return new LocalQueue(db, params.path, params.unstartedWriteMs ?? UNSTARTED_WRITE_MS)
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

  /** Every task in hand, in claim order (after a reopen: the order their rows were written). The returned array is a copy; the tasks are live (read-only). */
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

  /** Buffers claimed tasks (written once they start or finish, or have been held unstartedWriteMs: see the class comment). */
  taskInsertMany(params: { tasks: readonly ClaimedTask[] }): LocalTask[] {
    if (params.tasks.length === 0) return []
    const now = performance.now()
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
        // Every in-memory field from birth: one hidden class for all tasks, no shape change when the
        // ledger or a write sets one later (a spread here made two shapes, with and without a trace).
        traceparent: c.traceparent ?? null,
        unstartedLosses: 0,
        row: 0,
        stored: undefined,
        leaseExpiresAt: 0,
        heldSince: now,
      }),
    )
    for (const t of inserted) {
      const old = this.tasks.get(t.id)
      if (old) this.forget(old)
      this.remember(t)
      this.unwritten.add(t)
    }
    this.armAgeTimer()
    return inserted
  }

  /**
   * Applies state changes (written at the end of the turn). Updates for ids no longer in hand are
   * skipped (a worker's late report on a task dropped after a lost lease). Returns the tasks updated.
   */
  taskUpdateMany(params: { updates: readonly LocalUpdate[] }): LocalTask[] {
    const applied: LocalTask[] = []
    for (const u of params.updates) {
      const task = this.tasks.get(u.id)
      if (!task) continue
      applied.push(task)
      this.apply(task, u)
    }
    return applied
  }

  /**
   * One state change of a task in hand. `task` must be this queue's own object for `u.id` (the
   * ledger looked it up and checked the move already, so the map is not read twice per move).
   */
  taskUpdate(u: LocalUpdate, task: LocalTask): void {
    this.apply(task, u)
  }

  private apply(task: LocalTask, u: LocalUpdate): void {
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
    // Unstarted either way: a row not written yet waits for its age; a written one is rewritten lazily
    // unless it still says 'started'.
    const unstarted = u.to === 'dispatched' || u.to === 'buffered'
    if (unstarted && !this.dirty.has(task)) {
      if (!task.row) {
        this.unwritten.add(task)
        this.armAgeTimer()
      } else if (task.stored !== 'started') this.lazy.add(task)
      else this.touch(task)
    } else this.touch(task)
  }

  /** Forgets tasks (completion acknowledged, or dropped), fenced by lease sequence. */
  taskDeleteMany(params: { refs: readonly LeaseRef[] }): number {
    let n = 0
    for (const r of params.refs) {
      const t = this.tasks.get(r.id)
      if (!t || t.leaseSeq !== r.leaseSeq) continue
      this.forget(t)
      n++
    }
    if (n > 0) this.schedule()
    return n
  }

  /** True while changes wait for the end-of-turn write. */
  get pending(): boolean {
    return this.dirty.size > 0 || this.gone.length > 0
  }

  /** Calls `fn` once what is pending now is written (at once when nothing is). */
  afterFlush(fn: () => void): void {
    // Not at once while earlier callbacks wait: they run first (the event sink's held events).
    if ((!this.pending && this.afterFlushes.length === 0) || this.closed) return fn()
    this.afterFlushes.push(fn)
    this.schedule()
  }

  /** Writes every pending change now, in one transaction (lazy ones stay lazy). */
  flush(): void {
    if (!this.closed) this.flushNow()
  }

  /** SQLite's `PRAGMA integrity_check`: 'ok' when the file is sound. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>
    return rows.map((r) => r.integrity_check).join('; ')
  }

  /** Writes what is pending, then closes the database (releasing the lock). Idempotent. */
  close(): void {
    if (this.closed) return
    try {
      for (const t of this.lazy) this.dirty.add(t)
      for (const t of this.unwritten) this.dirty.add(t)
      this.lazy.clear()
      this.unwritten.clear()
      this.flushNow()
    } finally {
      this.closed = true
      if (this.ageTimer) clearTimeout(this.ageTimer)
      this.db.close()
    }
  }

  private touch(t: LocalTask): void {
    this.lazy.delete(t)
    this.unwritten.delete(t)
    this.dirty.add(t)
    this.schedule()
  }

  /** One timer while unstarted tasks wait: it writes those that are old enough. */
  private armAgeTimer(): void {
    if (this.ageTimer || this.unwritten.size === 0 || this.closed) return
    const oldest = this.unwritten.values().next().value as LocalTask
    const wait = Math.max(0, (oldest.heldSince ?? 0) + this.unstartedWriteMs - performance.now())
    this.ageTimer = setTimeout(() => {
      this.ageTimer = null
      const cutoff = performance.now() - this.unstartedWriteMs
      // Claim order: stop at the first one too young (a task moved back here later may wait one more round).
      for (const t of this.unwritten) {
        if ((t.heldSince ?? 0) > cutoff) break
        this.touch(t)
      }
      this.armAgeTimer()
    }, wait)
    this.ageTimer.unref()
  }

  private schedule(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      if (this.closed) return
      try {
        this.flushNow()
      } catch (err) {
        this.onError(err)
      }
    })
  }

  private flushNow(): void {
    this.write()
    if (this.afterFlushes.length === 0) return
    const after = this.afterFlushes
    this.afterFlushes = []
    for (const fn of after) fn()
  }

  private write(): void {
    if (this.dirty.size === 0 && this.gone.length === 0) return
    const dirty = this.dirty
    const gone = this.gone
    const st = this.st
    let next = this.lastRow
    const fresh: LocalTask[] = []
    const stored: LocalTaskState[] = []
    const args = this.insertArgs
    args.length = 0
    this.runTx(() => {
      deleteRuns(st.removeRange, gone)
      for (const t of dirty) {
        const outcome = t.completion === null ? null : outcomeJson(t.completion)
        if (!t.row) {
          args.push(++next, t.id, t.type, t.payloadJson, t.attempt, t.maxAttempts, t.parentId, t.leaseSeq, t.state, t.workerId, t.pid, outcome, t.startedAt)
          // INSERT_ROWS rows per statement: one step of the VM instead of sixteen (~20% of an insert's cost).
          if (args.length === INSERT_ROWS * ROW_VALUES) {
            st.insertMany.run(args)
            args.length = 0
          }
          fresh.push(t)
        } else {
          st.update.run(t.state, t.workerId, t.pid, outcome, t.startedAt, t.row)
        }
        stored.push(t.state)
      }
      for (let i = 0; i < args.length; i += ROW_VALUES) st.insert.run(args.slice(i, i + ROW_VALUES))
    })
    args.length = 0
    // Only once committed: a failed transaction leaves everything pending for the next flush.
    const w = this.writes
    w.transactions++
    w.deletes += gone.length
    w.inserts += fresh.length
    w.updates += dirty.size - fresh.length
    let i = 0
    for (const t of dirty) t.stored = stored[i++]
    next = this.lastRow
    for (const t of fresh) t.row = ++next
    this.lastRow = next
    this.dirty = new Set()
    this.gone = []
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
    this.dirty.delete(t)
    this.lazy.delete(t)
    this.unwritten.delete(t)
    if (t.row) this.gone.push(t.row)
    t.row = 0
  }
}

function bump(counts: Map<string, number>, type: string, by: number): void {
  const n = (counts.get(type) ?? 0) + by
  if (n <= 0) counts.delete(type)
  else counts.set(type, n)
}
