import type { TaskEventKind } from '../core/events.ts'
import type { ClaimedTask, Completion, TaskError } from '../core/task.ts'
import type { AbortReason } from '../workers/protocol.ts'
import { retryDecision, type BackoffOptions } from './backoff.ts'
import type { EventExtra, EventSink, Pending } from './event-sink.ts'
import type { LocalQueue, LocalTask, LocalTaskState, LocalUpdate } from './local-queue.ts'

/**
 * Where a task stands in the drone: a row state of the local queue, or `none` (not held). The
 * issue's names map onto them: claimed = `buffered`, finished = `done` (outcome stored, not yet
 * acknowledged), acknowledged and dropped = `none`.
 */
export type Place = LocalTaskState | 'none'

/**
 * Every legal move of a task in the drone's hands, from → to. Nothing else changes a held task:
 * the ledger checks each move against this table, and a move from any other place is refused (a
 * stale report: a late worker message, a lost lease, a second outcome), never applied.
 *
 *   none ──claim──▶ buffered ──dispatch──▶ dispatched ──start──▶ started ──succeed/fail──▶ done ──acknowledge──▶ none
 *                      ▲                       │                    │
 *                      └────── release ────────┘                    │
 *   dispatched/started ──lose (its process died with it)──▶ done
 *   buffered/dispatched/started ──handback──▶ done
 *   buffered ──giveBack (an operator's hand back)──▶ done
 *   buffered/dispatched/started ──drop (lease lost, cancelled, re-claimed)──▶ none
 */
export const MOVES = {
  /** From buffered or done too: an old claim of ours whose lease was lost is replaced by the new one. */
  claim: { from: ['none', 'buffered', 'done'], to: 'buffered' },
  dispatch: { from: ['buffered'], to: 'dispatched' },
  start: { from: ['dispatched'], to: 'started' },
  succeed: { from: ['started'], to: 'done' },
  fail: { from: ['started'], to: 'done' },
  /** Its process died with it (a failed attempt): the pool may have seen it start before we heard. */
  lose: { from: ['dispatched', 'started'], to: 'done' },
  /** Back to the global queue without using an attempt (a drain, a re-claim, an unstarted task on restart). */
  handback: { from: ['buffered', 'dispatched', 'started'], to: 'done' },
  /** An operator's "hand back" (the console's Drones view): only a buffered task, so no worker has it. */
  giveBack: { from: ['buffered'], to: 'done' },
  /** Unstarted and back in the buffer: the worker released it, or its process was lost before it began. */
  release: { from: ['dispatched'], to: 'buffered' },
  acknowledge: { from: ['done'], to: 'none' },
  drop: { from: ['buffered', 'dispatched', 'started'], to: 'none' },
} as const satisfies Record<string, { from: readonly Place[]; to: Place }>

export type Move = keyof typeof MOVES

export function allowed(move: Move, from: Place): boolean {
  return (MOVES[move].from as readonly Place[]).includes(from)
}

/** A task in hand as the rest of the drone sees it: read-only (the ledger alone changes it). */
export type HeldTask = Readonly<
  Pick<LocalTask, 'id' | 'type' | 'payloadJson' | 'attempt' | 'maxAttempts' | 'parentId' | 'leaseSeq' | 'state' | 'workerId' | 'pid' | 'startedAt' | 'traceparent'>
>

/** What a drone holds, one entry per task in hand (Drone.holdings()). */
export interface Holding {
  id: string
  type: string
  attempt: number
  leaseSeq: number
  /** buffered: in the local queue; dispatched: sent to a worker process; running: started; finishing: outcome awaiting acknowledgement */
  state: 'buffered' | 'dispatched' | 'running' | 'finishing'
  workerId: string | null
  pid: number | null
  /** ms since epoch (drone clock): when the worker started it */
  startedAt: number | null
  /**
   * ms since epoch (drone clock): when the lease runs out unless extended, reckoned from when the
   * claim or last extension was sent (so never later than the database's own expiry).
   */
  leaseExpiresAt: number
}

const HOLDING_STATE: Record<LocalTaskState, Holding['state']> = { buffered: 'buffered', dispatched: 'dispatched', started: 'running', done: 'finishing' }

/** Crash losses of an unstarted task that count as a failed attempt (see TaskReports.onLost). */
export const UNSTARTED_LOSSES_AS_ATTEMPT = 2

export interface LedgerDeps {
  events: EventSink
  /** Sends stored completions to the global queue, fenced and retried (the completer). */
  send: (completions: readonly Completion[]) => void
  /** Aborts tasks in whichever worker process holds them. */
  abort: (type: string, ids: string[], reason: AbortReason) => void
  leaseMs: number
  retry: BackoffOptions
}

/**
 * The one owner of a task's life in the drone. It alone holds the tasks in hand and their local-queue
 * rows; every change is one of MOVES, checked from → to; it emits the task events the console draws
 * (outcomes once the global queue acknowledged them) and a "capacity freed" signal per type; everyone
 * else reads HeldTask views. Every outcome goes the same way: stored (state done) first, then sent
 * fenced by its lease and retried by the completer, then acknowledged here (row deleted). The checks
 * that a report is stale (a task no longer in hand, another run's, an old lease's) live here, once.
 */
export class Ledger {
  private local: LocalQueue | undefined
  /** Outcome events to emit once their completion is acknowledged (only while someone listens). */
  private readonly announce = new Map<Completion, Pending>()
  /** Attempts finished since start, by type: succeeded, and failed (retried or final). */
  readonly counts = new Map<string, { succeeded: number; failed: number }>()
  /** Leases lost since start (not counting cancels). */
  leasesLost = 0
  /** A task of this type left a worker slot or the type's capacity: dispatch and claim may go on. */
  onFreed: (type: string) => void = () => undefined

  constructor(private readonly deps: LedgerDeps) {}

  /** Takes the local queue (opened on start, once the drone's name is settled). */
  attach(local: LocalQueue): void {
    this.local = local
  }

  /** Writes every pending change (the completer calls it before telling the global queue). */
  flush(): void {
    this.local?.flush()
  }

  close(): void {
    this.local?.close()
  }

  // ─── views ───────────────────────────────────────────────────────────────────────────────────

  get size(): number {
    return this.local?.size ?? 0
  }

  get(id: string): HeldTask | undefined {
    return this.local?.taskGet({ id })
  }

  list(filter: { state?: LocalTaskState; type?: string } = {}): HeldTask[] {
    return this.local?.taskList(filter) ?? []
  }

  /** The oldest buffered tasks of a type, up to `limit`. */
  buffered(type: string, limit: number): HeldTask[] {
    return this.local?.taskListBuffered({ type, limit }) ?? []
  }

  /** Tasks of a type in hand in any state (what counts against its capacity). */
  inHand(type: string): number {
    return this.local?.countInHand({ type }) ?? 0
  }

  /** Tasks of a type whose outcome awaits acknowledgement. */
  finishing(type: string): number {
    return this.local?.countDone({ type }) ?? 0
  }

  countByState(type: string): Record<LocalTaskState, number> {
    return this.local?.countByState({ type }) ?? { buffered: 0, dispatched: 0, started: 0, done: 0 }
  }

  holdings(): Holding[] {
    const out: Holding[] = []
    for (const t of this.local?.taskList() ?? []) {
      out.push({
        id: t.id,
        type: t.type,
        attempt: t.attempt,
        leaseSeq: t.leaseSeq,
        state: HOLDING_STATE[t.state],
        workerId: t.workerId,
        pid: t.pid,
        startedAt: t.startedAt,
        leaseExpiresAt: t.leaseExpiresAt ?? 0,
      })
    }
    return out
  }

  // ─── stale-report checks ─────────────────────────────────────────────────────────────────────

  /** The task, if the run of this worker process (workerId and pid) still holds it; else the report is stale. */
  ofRun(id: string, workerId: string, pid: number): HeldTask | undefined {
    const t = this.local?.taskGet({ id })
    return t && t.workerId === workerId && t.pid === pid ? t : undefined
  }

  /** The task, if a process with this pid had it and its outcome is not computed yet. */
  ofProcess(id: string, pid: number): HeldTask | undefined {
    const t = this.local?.taskGet({ id })
    return t && t.state !== 'done' && t.pid === pid ? t : undefined
  }

  /** The task, if held under this lease (a claim of ours meanwhile has a newer one). */
  ofLease(id: string, leaseSeq: number): HeldTask | undefined {
    const t = this.local?.taskGet({ id })
    return t && t.leaseSeq === leaseSeq ? t : undefined
  }

  // ─── moves ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Buffers claimed tasks. A task whose old run this drone still held (its lease was lost, it was
   * rescued and claimed by us again) has that run aborted and dropped, and its new claim handed back
   * at once (no attempt used): worker processes report by task id, and two runs must never be
   * confused. An old claim merely awaiting acknowledgement is replaced (that completion is refused by
   * the fence). Returns the types with new tasks to dispatch.
   */
  claim(claimed: readonly ClaimedTask[], sentAt: number): Set<string> {
    const local = this.mustLocal()
    const stale: LocalTask[] = []
    for (const c of claimed) {
      const old = local.taskGet({ id: c.id })
      if (old && !allowed('claim', old.state)) stale.push(old)
    }
    if (stale.length > 0) this.dropMany(stale, 'lease-lost')
    // Stored even when stop() began meanwhile: the drain hands buffered tasks back.
    const stored = local.taskInsertMany({ tasks: claimed })
    const expires = sentAt + this.deps.leaseMs
    const types = new Set<string>()
    const listening = this.deps.events.listening
    // `stored` is in claim order; dueAt is the task's runAt (metrics' enqueue→start wait).
    stored.forEach((t, i) => {
      t.leaseExpiresAt = expires
      types.add(t.type)
      if (listening) {
        const dueAt = claimed[i]?.runAt
        this.deps.events.task('claimed', t, dueAt === undefined ? undefined : { dueAt })
      }
    })
    if (stale.length > 0) {
      // Like every other outcome: stored first, then sent by the completer.
      const again = new Set(stale.map((t) => t.id))
      for (const t of stored) if (again.has(t.id)) this.handback(t)
    }
    return types
  }

  /** Tasks accepted by worker processes. */
  dispatch(sent: ReadonlyArray<{ task: HeldTask; workerId: string; pid: number }>): void {
    const listening = this.deps.events.listening
    for (const s of sent) {
      const t = this.live(s.task, 'dispatch')
      if (!t) continue
      this.update(t, { id: t.id, to: 'dispatched', workerId: s.workerId, pid: s.pid })
      if (listening) this.deps.events.task('dispatched', t, { workerId: s.workerId, pid: s.pid })
    }
  }

  /** The worker began running it (`at`: its clock reading, before user code ran). */
  start(task: HeldTask, at: number, extra: EventExtra): boolean {
    const t = this.live(task, 'start')
    if (!t) return false
    this.update(t, { id: t.id, to: 'started', at })
    this.deps.events.task('started', t, extra, at)
    return true
  }

  /** `runMs`: the handler's run time measured in the worker (monotonic); older hosts send none. */
  succeed(task: HeldTask, resultJson: string, at: number, extra: EventExtra, runMs?: number): boolean {
    const t = this.live(task, 'succeed')
    if (!t) return false
    const st = t.startedAt ?? at
    const completion: Completion = {
      id: t.id,
      leaseSeq: t.leaseSeq,
      outcome: { kind: 'succeeded', resultJson },
      workerPid: t.pid,
      startedAt: new Date(st),
    }
    this.count(t.type).succeeded++
    // The worker's own monotonic run time (handler start to end); older hosts: the two epoch
    // readings, clamped (they may come from clocks a few µs apart). Built only for a listener: this
    // is once per task on the hot path.
    this.finish(t, completion, 'succeeded', this.deps.events.listening ? { ...extra, durationMs: runMs ?? Math.max(0, at - st) } : undefined)
    return true
  }

  /** A failed attempt: retried with backoff, or final (permanent, or the attempts are used up). */
  fail(task: HeldTask, error: TaskError, permanent: boolean, extra: EventExtra & { at?: number; runMs?: number }, move: 'fail' | 'lose' = 'fail'): boolean {
    const t = this.live(task, move)
    if (!t) return false
    const { at, runMs, ...rest } = extra
    const retryDelayMs = retryDecision({ attempt: t.attempt, maxAttempts: t.maxAttempts, permanent }, this.deps.retry)
    const completion: Completion = {
      id: t.id,
      leaseSeq: t.leaseSeq,
      outcome: { kind: 'failed', error, retryDelayMs },
      workerPid: t.pid,
      startedAt: t.startedAt === null ? null : new Date(t.startedAt),
    }
    if (runMs !== undefined) rest.durationMs = runMs
    else if (at !== undefined && t.startedAt !== null) rest.durationMs = Math.max(0, at - t.startedAt)
    this.count(t.type).failed++
    const e: EventExtra = this.deps.events.listening ? { ...rest, error } : rest
    if (retryDelayMs === null) this.finish(t, completion, 'failed', e)
    else this.finish(t, completion, 'retried', { ...e, retryInMs: retryDelayMs })
    return true
  }

  /** Back to the global queue without using the attempt. */
  handback(task: HeldTask): boolean {
    const t = this.live(task, 'handback')
    if (!t) return false
    this.finish(t, { id: t.id, leaseSeq: t.leaseSeq, outcome: { kind: 'handback' } }, 'handed-back')
    return true
  }

  /**
   * An operator hands a buffered task back to the global queue (the console's "hand back"): the
   * same outcome as a drain's handback (stored first, sent fenced, retried; no attempt used), but
   * only while the task is buffered: once dispatched, a worker process has it and this is refused.
   * Returns the task handed back, or undefined when it is not held or not buffered.
   */
  giveBack(id: string): HeldTask | undefined {
    const t = this.local?.taskGet({ id })
    if (!t || !allowed('giveBack', t.state)) return undefined
    this.finish(t, { id: t.id, leaseSeq: t.leaseSeq, outcome: { kind: 'handback' } }, 'handed-back')
    return t
  }

  /** Unstarted, back in the buffer (a worker released it, or its process was lost before it began). */
  release(task: HeldTask): boolean {
    const t = this.live(task, 'release')
    if (!t) return false
    this.update(t, { id: t.id, to: 'buffered' })
    this.onFreed(t.type)
    return true
  }

  /**
   * Counts a crash loss of a task that had not reported starting; returns how many so far. The host
   * reports 'started' before user code runs, so this is a backstop for a report lost with its process.
   */
  unstartedLoss(task: HeldTask): number {
    const t = this.local?.taskGet({ id: task.id })
    if (t !== task || !t) return 0
    t.unstartedLosses = (t.unstartedLosses ?? 0) + 1
    return t.unstartedLosses
  }

  /**
   * The global queue answered a completion batch: refused ones (lease lost) report 'lease-lost',
   * accepted ones their outcome event; their rows are deleted either way (fenced: a newer claim of
   * the same task stays).
   */
  acknowledge(batch: readonly Completion[], refused: readonly string[]): void {
    const local = this.mustLocal()
    const refusedSet = refused.length > 0 ? new Set(refused) : null
    const freed = new Set<string>()
    for (const c of batch) {
      const t = local.taskGet({ id: c.id })
      const own = t !== undefined && t.leaseSeq === c.leaseSeq
      if (own) freed.add(t.type)
      const a = this.announce.get(c)
      if (a) this.announce.delete(c)
      if (refusedSet?.has(c.id)) {
        if (own) this.deps.events.task('lease-lost', t)
      } else if (a) {
        this.deps.events.task(a.kind, a.task, a.extra)
      }
    }
    local.taskDeleteMany({ refs: batch })
    for (const type of freed) this.onFreed(type)
  }

  /** Leases sent for extension (their new expiry is reckoned from `sentAt`); those lost are dropped. */
  extended(sent: ReadonlyArray<{ id: string; leaseSeq: number }>, lost: readonly string[], sentAt: number): void {
    const local = this.mustLocal()
    const expires = sentAt + this.deps.leaseMs
    const lostSet = lost.length > 0 ? new Set(lost) : null
    const dropped: LocalTask[] = []
    for (const s of sent) {
      const t = local.taskGet({ id: s.id })
      // A task completed and claimed again meanwhile has a new lease sequence and stays.
      if (!t || t.leaseSeq !== s.leaseSeq) continue
      if (!lostSet?.has(s.id)) t.leaseExpiresAt = expires
      // A done task's completion is on its way; the completer reports the refusal.
      else if (allowed('drop', t.state)) dropped.push(t)
    }
    this.dropMany(dropped, 'lease-lost')
  }

  /** The queue cancelled these tasks: abort and forget those in hand whose outcome is not computed. */
  cancelled(ids: readonly string[]): void {
    const local = this.mustLocal()
    const dropped: LocalTask[] = []
    for (const id of ids) {
      const t = local.taskGet({ id })
      if (t && allowed('drop', t.state)) dropped.push(t)
    }
    this.dropMany(dropped, 'cancelled')
  }

  /** Reconcile: outcomes a previous run stored but never saw acknowledged go out again (no events). */
  resendStored(): number {
    const resend: Completion[] = []
    for (const t of this.local?.taskList({ state: 'done' }) ?? []) if (t.completion) resend.push(t.completion)
    this.deps.send(resend)
    return resend.length
  }

  // ─── internals ───────────────────────────────────────────────────────────────────────────────

  /** The live task behind a view, if it is still held (same claim) and the move is legal from its place. */
  private live(view: HeldTask, move: Move): LocalTask | undefined {
    const t = this.local?.taskGet({ id: view.id })
    if (!t || t !== view || !allowed(move, t.state)) return undefined
    return t
  }

  private update(t: LocalTask, u: LocalUpdate): void {
    this.mustLocal().taskUpdate(u, t)
  }

  /** Stores the outcome (done), then hands it to the completer; its event waits for the acknowledgement. */
  private finish(t: LocalTask, completion: Completion, kind: TaskEventKind, extra?: EventExtra): void {
    const freesSlot = t.state !== 'buffered'
    this.update(t, { id: t.id, to: 'done', completion })
    if (this.deps.events.listening) this.announce.set(completion, { kind, task: t, extra })
    this.deps.send([completion])
    if (freesSlot) this.onFreed(t.type)
  }

  /** Aborts tasks in their workers, forgets them, and reports each (lease-lost or cancelled). */
  private dropMany(tasks: LocalTask[], reason: Extract<AbortReason, 'cancelled' | 'lease-lost'>): void {
    if (tasks.length === 0) return
    const byType = new Map<string, string[]>()
    for (const t of tasks) {
      if (t.state === 'buffered') continue
      const ids = byType.get(t.type) ?? []
      ids.push(t.id)
      byType.set(t.type, ids)
    }
    for (const [type, ids] of byType) this.deps.abort(type, ids, reason)
    this.mustLocal().taskDeleteMany({ refs: tasks })
    if (reason === 'lease-lost') this.leasesLost += tasks.length
    const types = new Set<string>()
    for (const t of tasks) {
      types.add(t.type)
      this.deps.events.task(reason, t)
    }
    for (const type of types) this.onFreed(type)
  }

  private count(type: string): { succeeded: number; failed: number } {
    let c = this.counts.get(type)
    if (!c) this.counts.set(type, (c = { succeeded: 0, failed: 0 }))
    return c
  }

  private mustLocal(): LocalQueue {
    if (!this.local) throw new Error('the drone is not started: its local queue is not open')
    return this.local
  }
}
