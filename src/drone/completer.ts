import type { Completion } from '../core/task.ts'
import type { DroneChannel } from '../queue/drone-channel.ts'
import type { TaskLog } from '../queue/driver.ts'
import { Batcher } from './batcher.ts'

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

export interface CompleterDeps {
  droneId: string
  complete: DroneChannel['complete']
  insertLogs: DroneChannel['insertLogs']
  /** Writes the local queue's pending changes: the outcomes are stored before the global queue hears of them. */
  beforeSend: () => void
  /** The global queue answered a batch (refused: the ids whose lease was lost). */
  onAcknowledged: (batch: Completion[], refused: string[]) => void
  onError: (err: unknown, where: string) => void
}

/**
 * Sends outcomes to the global queue. Every completion is first stored in the local queue (state
 * done), so a crash between the worker's report and the acknowledgement resends it on restart; the
 * row is deleted only once the queue acknowledged it (by the ledger). Completions are never dropped:
 * a failing taskComplete is retried with backoff.
 */
export class Completer {
  private readonly completions: Batcher<Completion>
  private readonly logs: Batcher<TaskLog>

  constructor(deps: CompleterDeps) {
    this.completions = new Batcher<Completion>({
      name: 'completer',
      maxBatch: COMPLETE_BATCH,
      delayMs: 5,
      concurrency: COMPLETE_CONCURRENCY,
      onError: deps.onError,
      send: async (batch) => {
        deps.beforeSend()
        await this.logsFirst()
        const { refused } = await deps.complete({ droneId: deps.droneId, completions: batch })
        deps.onAcknowledged(batch, refused)
      },
    })
    this.logs = new Batcher<TaskLog>({
      name: 'log writer',
      maxBatch: LOG_BATCH,
      delayMs: 20,
      maxRetries: LOG_MAX_RETRIES,
      onError: deps.onError,
      onDrop: (batch) => deps.onError(new Error(`dropped ${batch.length} task log lines after repeated failures`), 'log writer'),
      send: (batch) => deps.insertLogs({ logs: batch }),
    })
  }

  /** Queues completions already stored in the local queue (the ledger's outcomes). */
  add(completions: readonly Completion[]): void {
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
