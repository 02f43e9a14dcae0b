/** Task views and actions of the console, on a connection's Queue (so validation and limits apply). */
import { NotFoundError } from '../core/errors.ts'
import type { EnqueueOptions } from '../core/task.ts'
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
    queue.driver.taskCount({ ...filter, cap: TOTAL_CAP }),
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
