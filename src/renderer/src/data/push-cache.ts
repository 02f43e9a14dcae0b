import type { QueryClient } from '@tanstack/react-query'
import type { ApiResults, PushMessage, TaskDetail } from '../../../api/contract.ts'
import type { TaskEvent } from '../../../core/events.ts'
import type { Task } from '../../../core/task.ts'
import { ACTIVITY_SHOWN, activityQuery, bulkJobsQuery, dronesQuery, workerDefsQuery } from './queries.ts'
import { applyProfilePush } from '../views/profiles/data.ts'
import { pushIsStale } from './list-freshness.ts'

type BulkJob = ApiResults['tasks.bulkJobs'][number]

/** Events after which a task's stored row has changed beyond its state (attempts, result, error, runAt): re-read it. */
const ENDS_ATTEMPT = new Set<TaskEvent['kind']>(['succeeded', 'failed', 'retried', 'cancelled', 'handed-back', 'lease-lost'])

/** The state a task is in right after the event, as far as the event alone says. */
const STATE_AFTER: Partial<Record<TaskEvent['kind'], Task['state']>> = {
  started: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  retried: 'queued',
  cancelled: 'cancelled',
  'handed-back': 'queued',
}

/**
 * Applies one batch of pushes (stores/push.ts batches them per animation frame) to the query cache:
 * one `setQueryData` per list per batch (the last drones/definitions message wins, they are whole
 * lists, unless a read of the list answered after it arrived: `receivedAt`, list-freshness.ts), and
 * the flow's task events onto the cached details of those tasks.
 */
export function applyPushesToCache(client: QueryClient, batch: readonly PushMessage[], receivedAt?: readonly number[]): void {
  let drones: ApiResults['drones.list'] | null = null
  let defs: ApiResults['workers.list'] | null = null
  const taskEvents: TaskEvent[] = []
  for (const [i, m] of batch.entries()) {
    if (m.channel === 'drones') drones = pushIsStale('drones.list', receivedAt?.[i]) ? null : m.drones
    else if (m.channel === 'worker-definitions') defs = pushIsStale('workers.list', receivedAt?.[i]) ? null : m.definitions
    else if (m.channel === 'activity') client.setQueryData(activityQuery().queryKey, (items) => addActivity(items, m.entry))
    else if (m.channel === 'bulk') client.setQueryData(bulkJobsQuery().queryKey, (jobs) => updateBulkJob(jobs, m.job))
    else if (m.channel === 'profiles') applyProfilePush(client, m.profile)
    else if (m.channel === 'flow') for (const e of m.delta.recent) if ('taskId' in e) taskEvents.push(e)
  }
  if (drones) client.setQueryData(dronesQuery().queryKey, drones)
  if (defs) client.setQueryData(workerDefsQuery().queryKey, defs)
  if (taskEvents.length > 0) applyTaskEvents(client, taskEvents)
}

/** A pushed activity line goes on top; one already listed is not repeated; at most ACTIVITY_SHOWN kept. */
export function addActivity(items: ApiResults['activity.list'] | undefined, entry: ApiResults['activity.list'][number]): ApiResults['activity.list'] | undefined {
  // Not loaded yet: the first read will include it.
  if (!items) return items
  if (items.some((e) => e.id === entry.id)) return items
  return [entry, ...items].slice(0, ACTIVITY_SHOWN)
}

/** Pushes of one job can overtake a reply: a finished view is never replaced by a running one. */
export function updateBulkJob(jobs: BulkJob[] | undefined, job: BulkJob): BulkJob[] | undefined {
  // Not loaded yet: the first read will include it (a list made of pushes alone would pass for complete).
  if (!jobs) return jobs
  const list = jobs
  const i = list.findIndex((j) => j.id === job.id)
  if (i < 0) return [job, ...list]
  const cur = list[i]!
  if (cur.state !== 'running' && job.state === 'running') return list
  return list.map((j, k) => (k === i ? job : j))
}

/**
 * Task events onto the cached details (any queue: task ids are unique): the state it moved to, log
 * lines appended as they come, and a re-read (invalidate) when an attempt ended, for its attempts,
 * result and error. Details nobody has open are not in the cache and cost nothing.
 */
function applyTaskEvents(client: QueryClient, events: TaskEvent[]): void {
  const open = client.getQueriesData<TaskDetail>({ queryKey: ['tasks.get'] })
  if (open.length === 0) return
  const byTask = new Map<string, TaskEvent[]>()
  for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e])
  for (const [key, detail] of open) {
    const mine = detail && byTask.get(detail.task.id)
    if (!mine) continue
    client.setQueryData<TaskDetail>(key, (d) => (d ? applyTaskEventsToDetail(d, mine) : d))
    if (mine.some((e) => ENDS_ATTEMPT.has(e.kind))) void client.invalidateQueries({ queryKey: key, exact: true })
  }
}

/** Pure: a detail after these events (in order). */
export function applyTaskEventsToDetail(d: TaskDetail, events: readonly TaskEvent[]): TaskDetail {
  let task = d.task
  let logs = d.logs
  for (const e of events) {
    const state = STATE_AFTER[e.kind]
    if (state && state !== task.state) task = { ...task, state, ...(state === 'running' && !task.startedAt ? { startedAt: new Date(e.at).toISOString() } : {}) }
    if (e.kind === 'log' && e.log) logs = [...logs, { taskId: task.id, attempt: e.attempt ?? task.attempts, at: new Date(e.at).toISOString(), level: e.log.level, message: e.log.message, ...(e.log.data !== undefined ? { data: e.log.data } : {}), ...(e.log.stream ? { stream: e.log.stream } : {}) }]
  }
  return task === d.task && logs === d.logs ? d : { ...d, task, logs }
}
