/**
 * Bulk actions of the console's Tasks view (issue #14, part 1): "retry / cancel / delete all N
 * matching" the view's filter. A job runs in the service, not in the page, through the same
 * `queue.bulk()` as `swarmage retry --filter` (bounded batches, each task re-checked by the
 * single-task rules at that moment, no long transaction); its progress is pushed after every batch
 * and it can be aborted between batches. The page may reload meanwhile: `list()` gives it back.
 */
import { randomUUID } from 'node:crypto'
import { errorMessage } from '../core/errors.ts'
import type { TaskState } from '../core/task.ts'
import type { BulkFilter, BulkVerb } from '../queue/bulk/bulk.ts'
import type { Queue } from '../queue/queue.ts'
import type { Actor } from './audit.ts'

/** The Tasks view's filter: what a bulk action of the console matches. */
export interface BulkViewFilter {
  state?: TaskState
  type?: string
  search?: string
}

export interface BulkJobView {
  id: string
  connectionId: string
  verb: BulkVerb
  filter: BulkViewFilter
  /** matching when the job started (the count the operator confirmed) */
  expected: number
  /** walked so far: tasks that matched when their batch ran */
  matched: number
  /** of those, changed (the rest no longer qualified, e.g. a drone finished them meanwhile) */
  changed: number
  state: 'running' | 'done' | 'aborted' | 'failed'
  error?: string
  startedAt: string
  finishedAt?: string
}

/** Tasks per batch: a bounded step the abort button can interrupt between (and a push per batch). */
export const CONSOLE_BULK_BATCH = 500
/** Finished jobs kept for list() (a page reloaded meanwhile sees how the last ones ended). */
const KEEP_FINISHED = 20

interface Job {
  view: BulkJobView
  /** who started it: its end is recorded in their name */
  by: Actor
  abort: AbortController
  done: Promise<void>
}

export function toBulkFilter(f: BulkViewFilter): BulkFilter {
  const out: BulkFilter = {}
  if (f.state) out.state = f.state
  if (f.type) out.type = f.type
  if (f.search) out.search = f.search
  return out
}

export class BulkJobs {
  private readonly jobs = new Map<string, Job>()

  constructor(
    private readonly hooks: {
      /** Every change of a job's view (a batch done, the end). */
      progress: (job: BulkJobView) => void
      /** Once per job, before its first batch: for the activity list. */
      started: (job: BulkJobView, by: Actor) => void
      /** Once per job, when it ends: for the activity list. */
      finished: (job: BulkJobView, by: Actor) => void
    },
  ) {}

  /** Exact count of the tasks the filter matches now (shown before the operator confirms). */
  async count(queue: Queue, filter: BulkViewFilter): Promise<number> {
    return queue.count(toBulkFilter(filter))
  }

  async start(queue: Queue, connectionId: string, verb: BulkVerb, filter: BulkViewFilter, by: Actor): Promise<BulkJobView> {
    const expected = await this.count(queue, filter)
    const view: BulkJobView = { id: randomUUID(), connectionId, verb, filter, expected, matched: 0, changed: 0, state: 'running', startedAt: new Date().toISOString() }
    const abort = new AbortController()
    this.hooks.started({ ...view }, by)
    const done = queue
      .bulk(verb, toBulkFilter(filter), {
        batchSize: CONSOLE_BULK_BATCH,
        signal: abort.signal,
        onProgress: (p) => {
          view.matched = p.matched
          view.changed = p.changed
          this.hooks.progress({ ...view })
        },
      })
      .then(
        (p) => {
          view.matched = p.matched
          view.changed = p.changed
          view.state = abort.signal.aborted ? 'aborted' : 'done'
        },
        (err: unknown) => {
          view.state = 'failed'
          view.error = errorMessage(err)
        },
      )
      .finally(() => {
        view.finishedAt = new Date().toISOString()
        this.hooks.progress({ ...view })
        this.hooks.finished({ ...view }, by)
        this.prune()
      })
    this.jobs.set(view.id, { view, by, abort, done })
    this.hooks.progress({ ...view })
    return { ...view }
  }

  /** Stops a running job after its current batch; false when it is not running (unknown or over). */
  abort(id: string): boolean {
    const job = this.jobs.get(id)
    if (!job || job.view.state !== 'running') return false
    job.abort.abort()
    return true
  }

  list(): BulkJobView[] {
    return [...this.jobs.values()].map((j) => ({ ...j.view })).reverse()
  }

  /** Aborts every running job and waits for them (the service is stopping). */
  async stopAll(): Promise<void> {
    for (const j of this.jobs.values()) j.abort.abort()
    await Promise.all([...this.jobs.values()].map((j) => j.done))
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.view.state !== 'running')
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.view.id)
  }
}
