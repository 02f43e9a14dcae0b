import { until } from '../../helpers.ts'
import type { ClaimedTask, EnqueueOptions, NewTask, Outcome } from '../../../src/core/task.ts'
import { validateNewTask } from '../../../src/core/validate.ts'
import type { GlobalQueueDriver, QueueSignal, Subscription } from '../../../src/queue/driver.ts'

/**
 * See test/queue/conformance.ts. `open()` gives a fresh isolated queue (not yet migrated); `peer()`
 * opens another driver instance on that same queue; `cleanup()` removes the queue.
 */
export interface ConformanceTarget {
  driver: GlobalQueueDriver
  peer: () => Promise<GlobalQueueDriver>
  cleanup: () => Promise<void>
}

export const LONG_LEASE_MS = 60_000

/** What each case works with: the driver under test, peers, and terse helpers over the interface. */
export class Harness {
  private target: ConformanceTarget | null = null
  private peers: GlobalQueueDriver[] = []
  private subscriptions: Subscription[] = []

  get d(): GlobalQueueDriver {
    if (!this.target) throw new Error('no driver: the case runs outside driverConformance')
    return this.target.driver
  }

  reset(target: ConformanceTarget): void {
    this.target = target
    this.peers = []
    this.subscriptions = []
  }

  async teardown(): Promise<void> {
    const target = this.target
    this.target = null
    for (const s of this.subscriptions) await s.close()
    for (const p of this.peers) await p.close()
    if (target) {
      await target.driver.close()
      await target.cleanup()
    }
  }

  async peer(): Promise<GlobalQueueDriver> {
    const p = await this.target!.peer()
    this.peers.push(p)
    return p
  }

  row(type: string, payload: unknown = {}, options: EnqueueOptions = {}) {
    return validateNewTask({ type, payload, options }, { maxPayloadBytes: 1024 * 1024 })
  }

  async insert(type: string, payload: unknown = {}, options: EnqueueOptions = {}, driver = this.d): Promise<string> {
    const [id] = await driver.taskInsertMany({ tasks: [this.row(type, payload, options)] })
    return id!
  }

  async insertMany(tasks: NewTask[], driver = this.d): Promise<string[]> {
    return driver.taskInsertMany({ tasks: tasks.map((t) => this.row(t.type, t.payload, t.options)) })
  }

  async claim(type: string, limit = 10, opts: { leaseMs?: number; driver?: GlobalQueueDriver; droneId?: string } = {}): Promise<ClaimedTask[]> {
    const driver = opts.driver ?? this.d
    return driver.taskClaim({
      droneId: opts.droneId ?? 'drone-id-1',
      droneName: 'drone-one',
      wants: [{ type, limit }],
      leaseMs: opts.leaseMs ?? LONG_LEASE_MS,
    })
  }

  async claimOne(type: string, leaseMs = LONG_LEASE_MS): Promise<ClaimedTask> {
    const [c] = await this.claim(type, 1, { leaseMs })
    if (!c) throw new Error(`nothing of type ${type} to claim`)
    return c
  }

  async complete(c: ClaimedTask, outcome: Outcome, extra: { workerPid?: number; startedAt?: Date } = {}): Promise<string[]> {
    const { refused } = await this.d.taskComplete({ droneId: 'drone-id-1', completions: [{ id: c.id, leaseSeq: c.leaseSeq, outcome, ...extra }] })
    return refused
  }

  succeed(c: ClaimedTask, result: unknown = { ok: true }): Promise<string[]> {
    return this.complete(c, { kind: 'succeeded', resultJson: JSON.stringify(result) })
  }

  fail(c: ClaimedTask, retryDelayMs: number | null, message = 'boom'): Promise<string[]> {
    return this.complete(c, { kind: 'failed', error: { message, stack: `Error: ${message}\n    at test` }, retryDelayMs })
  }

  /** Waits on the database clock until `ms` after `from` has passed (a lease of `ms` taken at `from`). */
  async clockPast(from: number, ms: number): Promise<void> {
    await until(async () => (await this.d.now()).getTime() > from + ms + 1, 5000, `database clock past +${ms} ms`)
  }

  async dbNow(): Promise<number> {
    return (await this.d.now()).getTime()
  }

  async state(id: string): Promise<string | undefined> {
    return (await this.d.taskGet({ id }))?.state
  }

  async record(driver = this.d): Promise<SignalRecorder> {
    const rec = new SignalRecorder()
    const sub = await driver.signalSubscribe((s) => rec.push(s))
    rec.subscription = sub
    this.subscriptions.push(sub)
    return rec
  }
}

/** Collects signals; `next()` resolves at the very moment a matching one arrives (no polling delay). */
export class SignalRecorder {
  readonly signals: QueueSignal[] = []
  subscription: Subscription | null = null
  private waiters: Array<{ match: (s: QueueSignal) => boolean; resolve: (s: QueueSignal) => void }> = []

  push(signal: QueueSignal): void {
    this.signals.push(signal)
    for (const w of [...this.waiters]) {
      if (w.match(signal)) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(signal)
      }
    }
  }

  next(match: (s: QueueSignal) => boolean, timeoutMs = 2000): Promise<QueueSignal> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching queue signal within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.push({
        match,
        resolve: (s) => {
          clearTimeout(timer)
          resolve(s)
        },
      })
    })
  }

  clear(): void {
    this.signals.length = 0
  }
}

export const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
export const TASK_KEYS = [
  'id', 'type', 'payload', 'state', 'priority', 'runAt', 'attempts', 'maxAttempts', 'key', 'parentId', 'group',
  'result', 'error', 'drone', 'createdAt', 'startedAt', 'finishedAt',
].sort()

export const isCancel = (ids: string[]) => (s: QueueSignal) => s.kind === 'cancel' && ids.every((id) => s.ids.includes(id))
export const isTasks = (s: QueueSignal) => s.kind === 'tasks'
