import { InputError } from '../../core/errors.ts'
import { TASK_STATES, type Task, type TaskState } from '../../core/task.ts'
import type { GlobalQueueDriver } from '../driver.ts'

/** CONTRACT.md "Operations": which tasks a bulk retry/cancel/delete acts on. */
export interface BulkFilter {
  state?: TaskState
  type?: string
  group?: string
  search?: string
  /** createdAt strictly before / after these ISO-8601 times. */
  before?: string
  after?: string
}

export type BulkVerb = 'retry' | 'cancel' | 'delete'

export interface BulkProgress {
  matched: number
  changed: number
}

export interface BulkOptions {
  /** Tasks read and acted on per batch (default 500): bounds each step, no long transaction. */
  batchSize?: number
  dryRun?: boolean
  onProgress?: (p: BulkProgress) => void
  signal?: AbortSignal
}

export function validateBulkFilter(f: BulkFilter): void {
  if (f.state !== undefined && !TASK_STATES.includes(f.state)) {
    throw new InputError(`unknown state "${f.state}": expected one of ${TASK_STATES.join(', ')}`)
  }
  for (const k of ['before', 'after'] as const) {
    const v = f[k]
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw new InputError(`--${k} "${v}" is not an ISO-8601 date`)
  }
}

function matches(t: Task, f: BulkFilter): boolean {
  if (f.group !== undefined && t.group !== f.group) return false
  if (f.before !== undefined && !(Date.parse(t.createdAt) < Date.parse(f.before))) return false
  if (f.after !== undefined && !(Date.parse(t.createdAt) > Date.parse(f.after))) return false
  return true
}

/**
 * Walks the matching tasks in keyset order over (createdAt, id) — newest first, the cursor moving
 * strictly, so no task is seen twice however the states change under it — one bounded batch at a
 * time. Each batch is then changed under the same rules as `swarmage retry|cancel|delete ID`,
 * re-checked at that moment (actOnBatch); a task that no longer qualifies (e.g. a drone already
 * retried or finished it) is matched but not changed. No transaction spans more than one batch, so
 * drones keep claiming throughout.
 */
export async function bulkAction(driver: GlobalQueueDriver, verb: BulkVerb, filter: BulkFilter, options: BulkOptions = {}): Promise<BulkProgress> {
  validateBulkFilter(filter)
  const limit = options.batchSize ?? 500
  const progress: BulkProgress = { matched: 0, changed: 0 }
  let cursor: { createdAt: string; id: string } | undefined
  for (;;) {
    if (options.signal?.aborted) break
    const page = await driver.taskList({
      limit,
      ...(filter.state !== undefined ? { state: filter.state } : {}),
      ...(filter.type !== undefined ? { type: filter.type } : {}),
      ...(filter.search !== undefined ? { search: filter.search } : {}),
      ...(cursor ? { before: cursor } : {}),
    })
    if (page.length === 0) break
    const last = page[page.length - 1]!
    cursor = { createdAt: last.createdAt, id: last.id }
    const hits = page.filter((t) => matches(t, filter))
    progress.matched += hits.length
    if (!options.dryRun && hits.length > 0) progress.changed += await actOnBatch(driver, verb, hits, filter.state ?? null)
    options.onProgress?.({ ...progress })
    if (page.length < limit) break
    // The SQLite driver is synchronous under its promises: without a turn of the event loop between
    // batches, a 100k-task bulk would hold the process (a console's sockets, its pushes, an abort)
    // until the very end.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return progress
}

/**
 * One batch: through the driver's one-statement bulk apply where it has one (PostgreSQL: a round trip
 * per task held a 100k bulk to a few hundred tasks/s), the rest task by task. The bulk apply leaves
 * running tasks to the single-task cancel (its attempt row and cancel signal), and a retry batch that
 * would make two live tasks share a key fails whole: then every task of it goes alone.
 */
async function actOnBatch(driver: GlobalQueueDriver, verb: BulkVerb, hits: Task[], state: TaskState | null): Promise<number> {
  let rest = hits
  let changed = 0
  if (driver.taskBulkApply) {
    try {
      const done = new Set(await driver.taskBulkApply({ verb, ids: hits.map((t) => t.id), state }))
      changed += done.size
      // what the statement left: only running tasks can still change (by the single-task cancel)
      rest = verb === 'cancel' ? hits.filter((t) => !done.has(t.id) && t.state === 'running') : []
    } catch (err) {
      if (!(verb === 'retry' && isKeyConflict(err))) throw err
    }
  }
  for (const t of rest) if (await act(driver, verb, t)) changed++
  return changed
}

function isKeyConflict(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '23505') return true
  }
  return false
}

async function act(driver: GlobalQueueDriver, verb: BulkVerb, t: Task): Promise<boolean> {
  try {
    if (verb === 'delete') return await driver.taskDelete({ id: t.id })
    const after = verb === 'retry' ? await driver.taskRetry({ id: t.id }) : await driver.taskCancel({ id: t.id })
    return after !== null
  } catch (err) {
    // The single-task rules refused it now (wrong state at this moment): matched, not changed.
    if (err instanceof InputError) return false
    throw err
  }
}
