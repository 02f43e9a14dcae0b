/**
 * "Profile the next N tasks" and "Heap snapshot" for a type on a drone, or for one process: the form
 * at the top of the Profiles view, and the compact button pair of a worker process row (Workers).
 */
import { useState } from 'react'
import type { DroneView } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useDrones } from '../../data/queries.ts'
import { useAction } from '../../components/hooks.ts'
import { showProfile, startProfile, takeHeapSnapshot } from './data.ts'

export const SPLIT_NOTE =
  'With several processes, each profiles until the type has covered N tasks in all; each process gives its own profile.'

export function ProfileForm({ drones }: { drones: DroneView[] }) {
  const live = drones.filter((d) => d.state === 'running' && d.processes.length > 0)
  const [droneId, setDroneId] = useState('')
  const [target, setTarget] = useState('')
  const [tasks, setTasks] = useState(20)
  const drone = live.find((d) => d.id === droneId) ?? live[0]
  const types = drone ? [...new Set(drone.processes.map((p) => p.type))] : []
  // `type` or `type workerId`: the whole type, or one of its processes.
  const options = types.flatMap((t) => [{ value: t, label: `${t} (every process)` }, ...drone!.processes.filter((p) => p.type === t).map((p) => ({ value: `${t} ${p.workerId}`, label: `${p.workerId} (pid ${p.pid ?? '–'})` }))])
  const chosen = options.find((o) => o.value === target) ?? options[0]
  const [type, workerId] = (chosen?.value ?? '').split(' ')
  const params = drone && type ? { droneId: drone.id, type, ...(workerId ? { workerId } : {}) } : null
  const profile = useAction(() => startProfile({ ...params!, tasks }))
  const heap = useAction(() => takeHeapSnapshot(params!))

  if (live.length === 0) return <div className="muted" data-testid="profile-no-drone">Start a drone (Drones) to profile its worker processes.</div>
  return (
    <form
      className="panel profile-form"
      data-testid="profile-form"
      onSubmit={(e) => {
        e.preventDefault()
        if (params) void profile.run()
      }}
    >
      <div className="row profile-form-row">
        <label className="field">
          <span>Drone</span>
          <select value={drone?.id ?? ''} onChange={(e) => setDroneId(e.target.value)} data-testid="profile-drone">
            {live.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Workers</span>
          <select value={chosen?.value ?? ''} onChange={(e) => setTarget(e.target.value)} data-testid="profile-target">
            {options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field narrow">
          <span>Next N tasks</span>
          <input type="number" min={1} max={10000} value={tasks} onChange={(e) => setTasks(Math.max(1, Math.min(10_000, Number(e.target.value) || 1)))} data-testid="profile-tasks" />
        </label>
        <button type="submit" className="btn primary" disabled={!params || profile.busy} data-testid="profile-start">
          {profile.busy ? 'Starting…' : `Profile the next ${tasks} tasks`}
        </button>
        <button type="button" className="btn" disabled={!params || heap.busy} onClick={() => void heap.run()} data-testid="heap-snapshot" title="A heap snapshot of one process (the type's first, or the one chosen): open it in DevTools' Memory panel">
          {heap.busy ? 'Taking…' : 'Heap snapshot'}
        </button>
      </div>
      <div className="muted small">{SPLIT_NOTE} Tasks already running when it starts are in the samples but not in its task list.</div>
      <ErrorBox error={profile.error ?? heap.error} what="Could not start" testId="profile-error" />
    </form>
  )
}

/** The row buttons of a worker process (Workers view): profile its next 20 tasks, or snapshot its heap. */
export function ProcessProfileButtons({ droneId, type, workerId, disabled }: { droneId: string; type: string; workerId: string; disabled?: boolean }) {
  // startProfile shows the new profile (#/profiles/ID).
  const profile = useAction(() => startProfile({ droneId, type, workerId, tasks: 20 }))
  const heap = useAction(async () => showProfile((await takeHeapSnapshot({ droneId, type, workerId })).id))
  return (
    <>
      <button type="button" className="btn small" disabled={disabled || profile.busy} onClick={() => void profile.run()} data-testid="process-profile" title={`CPU profile of this process's next 20 tasks (Profiles view to choose N or the whole type)`}>
        Profile
      </button>
      <button type="button" className="btn small ghost" disabled={disabled || heap.busy} onClick={() => void heap.run()} data-testid="process-heap" title="Heap snapshot of this process">
        Heap
      </button>
      {(profile.error ?? heap.error) && (
        <span className="bad-text small" data-testid="process-profile-error">
          {(profile.error ?? heap.error)!.message}
        </span>
      )}
    </>
  )
}

/**
 * "Profile" on a worker definition (Workers): the next 20 tasks of its type in the first running drone
 * serving it, every process of the type together (N split as SPLIT_NOTE says).
 */
export function ProfileTypeButton({ type, processes }: { type: string; processes: number }) {
  const droneId = useDrones((items) => items.find((d) => d.state === 'running' && d.processes.some((p) => p.type === type))?.id).data
  const profile = useAction(() => startProfile({ droneId: droneId!, type, tasks: 20 }))
  return (
    <button
      type="button"
      className="btn small ghost"
      disabled={!droneId || profile.busy}
      title={
        !droneId
          ? `No running drone of this console serves ${type}: start one in Drones`
          : `CPU profile of the next 20 ${type} tasks${processes > 1 ? ` across its ${processes} processes (each profiles until the type has covered 20)` : ''}; Profiles to choose N`
      }
      onClick={() => void profile.run()}
      data-testid={`worker-profile-${type}`}
    >
      {profile.error ? 'Profile failed' : 'Profile'}
    </button>
  )
}
