/**
 * The Profiles view's server state, in the query cache: the list (profiles.list), kept current by the
 * 'profiles' pushes (a profile's progress, its end, a heap snapshot becoming ready: data/push-cache.ts
 * calls applyProfilePush), and the profiles that covered a task (profiles.forTask, re-read when a
 * profile ends). Which profile is shown is in the address: `#/profiles/ID`.
 */
import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query'
import { useSyncExternalStore } from 'react'
import type { ProfileView } from '../../../../api/profile-types.ts'
import { apiQuery, callApi } from '../../data/api-query.ts'
import { queryClient } from '../../data/query-client.ts'
import { navigate } from '../../router/navigate.ts'
import { parseRoute } from '../../router/routes.ts'

/** Pushed on every change ('profiles' channel) and re-read on reconnect. */
export const profilesQuery = () => queryOptions({ ...apiQuery('profiles.list', {}), staleTime: Infinity })
/** Re-read when a profile ends (applyProfilePush), since only then does it name its tasks. */
export const taskProfilesQuery = (taskId: string) => queryOptions({ ...apiQuery('profiles.forTask', { taskId }), staleTime: Infinity })

const EMPTY: ProfileView[] = []

export function useProfileList(): { profiles: ProfileView[]; error: unknown } {
  const q = useQuery(profilesQuery())
  return { profiles: q.data ?? EMPTY, error: q.error }
}

/** Newest first, as profiles.list answers. */
export function upsertProfile(list: ProfileView[] | undefined, p: ProfileView): ProfileView[] | undefined {
  // Not loaded yet: the first read includes it.
  if (!list) return list
  const cur = list.find((x) => x.id === p.id)
  // A push can overtake the reply that started it: an ended profile is never replaced by a running view.
  if (cur && cur.state !== 'running' && p.state === 'running') return list
  return [p, ...list.filter((x) => x.id !== p.id)].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.workerId.localeCompare(b.workerId))
}

/** A 'profiles' push: the list updated in place; an ended CPU profile may now cover an open task's detail. */
export function applyProfilePush(client: QueryClient, p: ProfileView): void {
  client.setQueryData(profilesQuery().queryKey, (list) => upsertProfile(list, p))
  if (p.kind === 'cpu' && p.state !== 'running') void client.invalidateQueries({ queryKey: ['profiles.forTask'] })
}

/** The profile shown: the id in `#/profiles/ID`. */
export function useShownProfileId(): string | null {
  return useSyncExternalStore(subscribeHash, shownProfileId)
}

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

function shownProfileId(): string | null {
  const r = parseRoute(window.location.hash)
  return r.view === 'profiles' ? r.id : null
}

export function showProfile(id: string | null): void {
  navigate({ view: 'profiles', id })
}

/** Starts "profile the next N tasks" and shows its first part. */
export async function startProfile(p: { droneId: string; type: string; workerId?: string; tasks: number }): Promise<ProfileView[]> {
  const views = await callApi('profiles.start', p)
  for (const v of views) queryClient.setQueryData(profilesQuery().queryKey, (list) => upsertProfile(list, v))
  if (views[0]) showProfile(views[0].id)
  return views
}

export async function takeHeapSnapshot(p: { droneId: string; type: string; workerId?: string }): Promise<ProfileView> {
  const v = await callApi('profiles.heapSnapshot', p)
  queryClient.setQueryData(profilesQuery().queryKey, (list) => upsertProfile(list, v))
  return v
}

export async function removeProfile(id: string): Promise<void> {
  await callApi('profiles.remove', { id })
  queryClient.setQueryData(profilesQuery().queryKey, (list) => list?.filter((p) => p.id !== id))
  if (shownProfileId() === id) showProfile(null)
}
