/**
 * The Profiles view's list: loaded with profiles.list, then kept current by the 'profiles' pushes (a
 * profile's progress, its end, a heap snapshot becoming ready). `selected` is the one whose flame
 * graph is shown; "Profile" buttons elsewhere (Workers, the debugger) select what they started.
 */
import { create } from 'zustand'
import type { ProfileView } from '../../../../api/profile-types.ts'
import { call } from '../../transport/index.ts'

interface ProfilesState {
  profiles: ProfileView[]
  loaded: boolean
  selected: string | null
  select(id: string | null): void
}

export const useProfiles = create<ProfilesState>((set) => ({
  profiles: [],
  loaded: false,
  selected: null,
  select: (selected) => set({ selected }),
}))

function sorted(list: ProfileView[]): ProfileView[] {
  return list.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.workerId.localeCompare(b.workerId))
}

/** A push: one profile changed (started, progressed, ended). */
export function applyProfile(p: ProfileView): void {
  useProfiles.setState((s) => ({ profiles: sorted([p, ...s.profiles.filter((x) => x.id !== p.id)]) }))
}

export async function reloadProfiles(): Promise<void> {
  const list = await call('profiles.list', {})
  useProfiles.setState({ profiles: list, loaded: true })
}

/** Starts "profile the next N tasks" and selects its first part. */
export async function startProfile(p: { droneId: string; type: string; workerId?: string; tasks: number }): Promise<ProfileView[]> {
  const views = await call('profiles.start', p)
  for (const v of views) applyProfile(v)
  if (views[0]) useProfiles.setState({ selected: views[0].id })
  return views
}

export async function takeHeapSnapshot(p: { droneId: string; type: string; workerId?: string }): Promise<ProfileView> {
  const v = await call('profiles.heapSnapshot', p)
  applyProfile(v)
  return v
}
