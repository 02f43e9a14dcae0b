import type { Completion } from '../core/task.ts'
import type { TaskLog } from '../queue/driver.ts'
import { Batcher } from './batcher.ts'
import type { DroneContext, Pending } from './context.ts'

/** Completions per taskComplete call: one round trip for a burst, short enough to keep the transaction small. */
const COMPLETE_BATCH = 500
/** Completion batches in flight at once (see Batcher): overlaps one round trip with the next. */
const COMPLETE_CONCURRENCY = 2
const LOG_BATCH = 500
/** A log batch failing this many times in a row is dropped (reported): logs must not pin memory forever. */
const LOG_MAX_RETRIES = 20
/**
 * Longest a completion batch waits for the log lines added before it: logs are stored before the
 * outcome they lead to, so whoever sees a task finished sees its logs; a log writer that keeps
 * failing delays outcomes by this much, never more.
 */
const LOGS_FIRST_MAX_MS = 1_000

/**
 * Sends outcomes to the global queue. Every completion is first stored in the local queue (state
 * done), so a crash between the worker's report and the acknowledgement resends it on restart; the
 * row is deleted only once the queue acknowledged it. Completions are never dropped: a failing
 * taskComplete is retried with backoff. Outcome events are emitted on acknowledgement; fenced
 * completions the queue refuses emit 'lease-lost' instead.
 */
export class Completer {
  private readonly completions: Batcher<Completion>
  private readonly logs: Batcher<TaskLog>
  /** Outcome events to emit once their completion is acknowledged (only while someone listens). */
  private readonly announce = new Map<Completion, Pending>()

  constructor(
    private readonly ctx: DroneContext,
    /** Called after each acknowledged batch, with the types that freed capacity. */
    onAcknowledged: (types: Set<string>) => void,
  ) {
    this.completions = new Batcher<Completion>({
      name: 'completer',
      maxBatch: COMPLETE_BATCH,
      delayMs: 5,
      concurrency: COMPLETE_CONCURRENCY,
      onError: (err, name) => ctx.reportError(err, name),
      send: async (batch) => {
        // The outcomes are in the local queue before the global queue hears of them.
        ctx.local.flush()
        await this.logsFirst()
        const { refused } = await ctx.driver.taskComplete({ droneId: ctx.id, completions: batch })
        const types = new Set<string>()
        const refusedSet = refused.length > 0 ? new Set(refused) : null
        for (const c of batch) {
          const t = ctx.local.taskGet({ id: c.id })
          if (t) types.add(t.type)
          const a = this.announce.get(c)
          if (a) this.announce.delete(c)
          if (refusedSet?.has(c.id)) {
            if (t && t.leaseSeq === c.leaseSeq) ctx.events.task('lease-lost', t)
          } else if (a) {
            ctx.events.task(a.kind, a.task, a.extra)
          }
        }
        ctx.local.taskDeleteMany({ refs: batch })
        onAcknowledged(types)
      },
    })
    this.logs = new Batcher<TaskLog>({
      name: 'log writer',
      maxBatch: LOG_BATCH,
      delayMs: 20,
      maxRetries: LOG_MAX_RETRIES,
      onError: (err, name) => ctx.reportError(err, name),
      onDrop: (batch) => ctx.reportError(new Error(`dropped ${batch.length} task log lines after repeated failures`), 'log writer'),
      send: (batch) => ctx.driver.taskLogInsertMany({ logs: batch }),
    })
  }

  /** Queues completions already stored in the local queue, with the events to emit once acknowledged. */
  add(completions: readonly Completion[], announce?: ReadonlyMap<Completion, Pending>): void {
    if (announce) for (const [c, a] of announce) this.announce.set(c, a)
    this.completions.add(completions)
  }

  addLogs(logs: readonly TaskLog[]): void {
    this.logs.add(logs)
  }

  /** Waits (at most LOGS_FIRST_MAX_MS) until the log lines added so far are stored. */
  private async logsFirst(): Promise<void> {
    if (this.logs.unsent === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.logs.flushed(), new Promise<void>((resolve) => (timer = setTimeout(resolve, LOGS_FIRST_MAX_MS)))])
    clearTimeout(timer)
  }

  get pending(): number {
    return this.completions.size
  }

  /** Resolves when every completion and log line added so far is acknowledged. */
  async idle(): Promise<void> {
    await Promise.all([this.completions.idle(), this.logs.idle()])
  }

  /** Gives up retrying (stop at once): idle() then resolves with what could not be sent left in the local queue. */
  stop(): void {
    this.completions.stop()
    this.logs.stop()
  }
}
