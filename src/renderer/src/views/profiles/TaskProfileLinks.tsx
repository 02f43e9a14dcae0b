import { useEffect, useState } from 'react'
import type { ProfileView } from '../../../../api/profile-types.ts'
import { fmtTime } from '../../lib/format.ts'
import { useUi } from '../../stores/ui.ts'
import { call } from '../../transport/index.ts'
import { useProfiles } from './store.ts'

/** In a task's detail: the CPU profiles that covered this task, each opening its flame graph. */
export function TaskProfileLinks({ taskId, state }: { taskId: string; state: string }) {
  const go = useUi((s) => s.go)
  const select = useProfiles((s) => s.select)
  // A profile that ends while the detail is open shows up: its push changes the list, so look again.
  const version = useProfiles((s) => s.profiles.filter((p) => p.kind === 'cpu' && p.state !== 'running').length)
  const [profiles, setProfiles] = useState<ProfileView[]>([])
  useEffect(() => {
    let live = true
    call('profiles.forTask', { taskId }).then(
      (list) => live && setProfiles(list),
      () => live && setProfiles([]),
    )
    return () => {
      live = false
    }
  }, [taskId, state, version])
  if (profiles.length === 0) return null
  return (
    <div data-testid="task-profiles">
      profiled in:{' '}
      {profiles.map((p) => (
        <button
          key={p.id}
          type="button"
          className="link"
          onClick={() => {
            select(p.id)
            go('profiles')
          }}
          data-testid="task-profile-link"
        >
          {p.type} · {p.workerId} · {fmtTime(p.startedAt)}
        </button>
      ))}
    </div>
  )
}
