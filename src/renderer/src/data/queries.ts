import { queryOptions, useQuery } from '@tanstack/react-query'
import type { ApiResults, Connection, DroneView, WorkerDefinitionRecord } from '../../../api/contract.ts'
import { apiQuery, callApi } from './api-query.ts'
import { listFetched, type PushedList } from './list-freshness.ts'

/**
 * Named queries of the console. Add one here (apiQuery + how fresh it must be), read it with
 * `useQuery(xQuery(...))` or a selector hook below; a push that carries its data is applied in
 * push-cache.ts with `setQueryData(xQuery(...).queryKey, …)`.
 */

/** A pushed whole list's read: it records when its reply arrived, so an older push is not applied over it (list-freshness.ts). */
function recordedRead<T>(list: PushedList, read: () => Promise<T>): () => Promise<T> {
  return async () => {
    const result = await read()
    listFetched(list)
    return result
  }
}

/** Pushed on every change (`drones` channel) and re-read on reconnect: never stale in between. */
export const dronesQuery = () => queryOptions({ ...apiQuery('drones.list', {}), queryFn: recordedRead('drones.list', () => callApi('drones.list', {})), staleTime: Infinity })
/** Pushed on every change (`worker-definitions` channel). */
export const workerDefsQuery = () => queryOptions({ ...apiQuery('workers.list', {}), queryFn: recordedRead('workers.list', () => callApi('workers.list', {})), staleTime: Infinity })
/** Changed only by this console's own actions, which invalidate it. */
export const connectionsQuery = () => queryOptions({ ...apiQuery('connections.list', {}), staleTime: Infinity })
export const appInfoQuery = () => queryOptions({ ...apiQuery('app.info', {}), staleTime: Infinity })
/** Running and recent bulk actions; each job's progress is pushed (`bulk` channel). */
export const bulkJobsQuery = () => queryOptions({ ...apiQuery('tasks.bulkJobs', {}), staleTime: Infinity })

/** Activity lines kept in the view (older ones stay in console.db); new ones are pushed. */
export const ACTIVITY_SHOWN = 200
export const activityQuery = () => queryOptions({ ...apiQuery('activity.list', { limit: ACTIVITY_SHOWN }), staleTime: Infinity })

const EMPTY: never[] = []

/** The pushed lists, read through a selector so a component re-renders only when its slice changes. */
export function useDrones<T = DroneView[]>(select?: (items: DroneView[]) => T) {
  return useQuery({ ...dronesQuery(), select })
}
export function useWorkerDefs<T = WorkerDefinitionRecord[]>(select?: (items: WorkerDefinitionRecord[]) => T) {
  return useQuery({ ...workerDefsQuery(), select })
}
export function useConnections<T = Connection[]>(select?: (items: Connection[]) => T) {
  return useQuery({ ...connectionsQuery(), select })
}

/** The list itself, empty until loaded: for the many places that only map over it. */
export function useDroneList(): DroneView[] {
  return useDrones().data ?? EMPTY
}
export function useWorkerDefList(): WorkerDefinitionRecord[] {
  return useWorkerDefs().data ?? EMPTY
}
export function useConnectionList(): Connection[] {
  return useConnections().data ?? EMPTY
}

/**
 * A task's detail. Live tasks change through pushes (push-cache.ts: state, progress, log lines, and
 * a re-read when an attempt ends); the flow's `recent` sample is bounded, and another console or the
 * CLI can act on the task, so a queued or running task is also re-read every few seconds as a safety
 * net. A finished task is read once.
 */
export const TASK_SAFETY_MS = 5000
export const taskQuery = (connectionId: string, id: string) =>
  queryOptions({
    ...apiQuery('tasks.get', { connectionId, id }),
    staleTime: Infinity,
    refetchInterval: (q) => {
      const s = q.state.data?.task.state
      return q.state.error || (s !== undefined && s !== 'queued' && s !== 'running') ? false : TASK_SAFETY_MS
    },
  })

/** What the console runs as (desktop or browser), read once. */
export function useAppInfo<T>(select: (info: ApiResults['app.info']) => T) {
  return useQuery({ ...appInfoQuery(), select }).data
}

/** Queue counts and the drone registry come from the database and are not pushed: re-read on a timer while shown. */
export const STATS_POLL_MS = 2000
export const statsQuery = (connectionId: string, ms = STATS_POLL_MS) => queryOptions({ ...apiQuery('queue.stats', { connectionId }), refetchInterval: ms })
export const queueDronesQuery = (connectionId: string, ms = STATS_POLL_MS) => queryOptions({ ...apiQuery('queue.drones', { connectionId }), refetchInterval: ms })
/** Asked of every connection this often: a cheap stats query and the drone registry. */
export const UNSERVED_POLL_MS = 3000
export const unservedQuery = (connectionId: string) => queryOptions({ ...apiQuery('queue.unserved', { connectionId }), refetchInterval: UNSERVED_POLL_MS })
