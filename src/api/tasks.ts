/** Task views and actions of the console, on a connection's Queue (so validation and limits apply). */
import { InputError, NotFoundError } from '../core/errors.ts'
import type { EnqueueOptions, NewTask } from '../core/task.ts'
import { validateNewTask } from '../core/validate.ts'
import type { Queue } from '../queue/queue.ts'
import type { ApiParams, ApiResults } from './contract.ts'
import { demoTasks } from './examples.ts'

/** Counting every matching row of a big queue is slow (a full scan on PostgreSQL): stop here. */
export const TOTAL_CAP = 100_000

export async function listTasks(queue: Queue, p: {
  state?: ApiParams<'tasks.list'>['state']
  type?: string | undefined
  search?: string | undefined
  limit: number
  before?: { createdAt: string; id: string } | undefined
}): Promise<ApiResults['tasks.list']> {
  const filter: { state?: NonNullable<typeof p.state>; type?: string; search?: string } = {}
  if (p.state) filter.state = p.state
  if (p.type) filter.type = p.type
  if (p.search) filter.search = p.search
  const [tasks, total] = await Promise.all([
    queue.list({ ...filter, limit: p.limit, ...(p.before ? { before: p.before } : {}) }),
    queue.count(filter, TOTAL_CAP),
  ])
  return { tasks, total: Math.min(total, TOTAL_CAP), totalCapped: total >= TOTAL_CAP }
}

export async function getTask(queue: Queue, id: string): Promise<ApiResults['tasks.get']> {
  const task = await queue.get(id)
  if (!task) throw new NotFoundError(`no task with id ${id}`)
  const [logs, attempts, children, parentTask] = await Promise.all([
    queue.logs(id, 1000),
    queue.attempts(id),
    queue.children(id),
    task.parentId ? queue.get(task.parentId) : Promise.resolve(null),
  ])
  const parent = parentTask ? { id: parentTask.id, type: parentTask.type, state: parentTask.state } : null
  return { task, logs, attempts, children, parent }
}

export async function enqueueTask(queue: Queue, p: { type: string; payload: unknown; options?: Omit<EnqueueOptions, 'parentId' | 'key'> & { key?: string } | undefined }): Promise<{ id: string }> {
  return { id: await queue.enqueue(p.type, p.payload, p.options) }
}

export async function enqueueDemo(queue: Queue, count: number): Promise<{ ids: number }> {
  const ids = await queue.enqueueMany(demoTasks(count))
  return { ids: ids.length }
}

/**
 * One batch of the console's bulk enqueue: every task validated first (the error names its line, or
 * its place in the batch), then stored together through enqueueMany; with `dryRun` nothing is stored.
 */
export async function enqueueBatch(queue: Queue, p: { tasks: NewTask[]; lines?: number[] | undefined; dryRun: boolean }): Promise<{ count: number; ids: string[] }> {
  p.tasks.forEach((task, i) => {
    try {
      validateNewTask(task, queue.limits)
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      const where = p.lines?.[i] !== undefined ? `line ${p.lines[i]}` : `task ${i + 1}`
      throw new InputError(`${where}: ${err.message} (nothing was enqueued)`, { cause: err })
    }
  })
  if (p.dryRun) return { count: p.tasks.length, ids: [] }
  const ids = await queue.enqueueMany(p.tasks)
  return { count: ids.length, ids }
}

/** The console's delete: false when the task is already gone (pruned, or deleted from another tab), not an error. */
export async function deleteIfFound(queue: Queue, id: string): Promise<boolean> {
  try {
    await queue.delete(id)
    return true
  } catch (err) {
    if (err instanceof NotFoundError) return false
    throw err
  }
}
