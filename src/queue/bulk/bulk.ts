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
 * time. Each task is then changed by the driver's single-task transition, which re-checks the task's
 * state at that moment under the same rules as `swarmage retry|cancel|delete ID`; a task that no
 * longer qualifies (e.g. a drone already retried or finished it) is matched but not changed.
 * No transaction spans more than one task, so drones keep claiming throughout.
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
    for (const t of page) {
      if (!matches(t, filter)) continue
      progress.matched++
      if (options.dryRun) continue
      if (await act(driver, verb, t)) progress.changed++
    }
    options.onProgress?.({ ...progress })
    if (page.length < limit) break
    // The SQLite driver is synchronous under its promises: without a turn of the event loop between
    // batches, a 100k-task bulk would hold the process (a console's sockets, its pushes, an abort)
    // until the very end.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return progress
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
