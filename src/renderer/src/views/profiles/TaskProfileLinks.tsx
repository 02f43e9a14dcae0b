import { useQuery } from '@tanstack/react-query'
import { fmtTime } from '../../lib/format.ts'
import { showProfile, taskProfilesQuery } from './data.ts'

/** In a task's detail: the CPU profiles that covered this task, each opening its flame graph (re-read when a profile ends). */
export function TaskProfileLinks({ taskId }: { taskId: string }) {
  const profiles = useQuery(taskProfilesQuery(taskId)).data ?? []
  if (profiles.length === 0) return null
  return (
    <div data-testid="task-profiles">
      profiled in:{' '}
      {profiles.map((p) => (
        <button key={p.id} type="button" className="link" onClick={() => showProfile(p.id)} data-testid="task-profile-link">
          {p.type} · {p.workerId} · {fmtTime(p.startedAt)}
        </button>
      ))}
    </div>
  )
}
