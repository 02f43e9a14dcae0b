import { useEffect, useMemo, useState } from 'react'
import type { ProfileView } from '../../../../api/profile-types.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { shortId } from '../../lib/format.ts'
import { useUi } from '../../stores/ui.ts'
import { FlameGraph } from './FlameGraph.tsx'
import { readProfileText } from './files.ts'
import { parseCpuProfile, toFlameHierarchy, topFunctions, type CpuProfile } from './hierarchy.ts'

/** One CPU profile: its flame graph, the functions with most samples, and the tasks it covered. */
export function ProfileDetail({ profile }: { profile: ProfileView }) {
  const openTask = useUi((s) => s.openTask)
  const [cpu, setCpu] = useState<CpuProfile | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [search, setSearch] = useState('')
  const [idle, setIdle] = useState(false)
  const [picked, setPicked] = useState<string | null>(null)

  useEffect(() => {
    if (profile.state !== 'ready' || profile.kind !== 'cpu') return
    let live = true
    readProfileText(profile.id).then(
      (text) => live && setCpu(parseCpuProfile(text)),
      (err: unknown) => live && setError(err),
    )
    return () => {
      live = false
    }
  }, [profile.id, profile.state, profile.kind])

  const root = useMemo(() => (cpu ? toFlameHierarchy(cpu, { idle }) : null), [cpu, idle])
  const top = useMemo(() => (root ? topFunctions(root) : []), [root])

  if (profile.kind !== 'cpu') return null
  if (profile.state === 'running') {
    return (
      <div className="panel info" data-testid="profile-running">
        Profiling {profile.workerId}: {profile.covered} of {profile.requested} tasks covered. Send tasks of type <code>{profile.type}</code>.
      </div>
    )
  }
  if (profile.state === 'failed') return <ErrorBox error={{ code: 'internal', message: profile.error ?? 'the profile failed' }} what="No profile" testId="profile-failed" />
  return (
    <section className="stack profile-detail" data-testid="profile-detail">
      <h2>
        {profile.type} · {profile.workerId} <span className="muted">pid {profile.pid}</span>
      </h2>
      <ErrorBox error={error} what="Could not read the profile" testId="profile-read-error" />
      <div className="row profile-toolbar">
        <input type="search" placeholder="Highlight functions…" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="flame-search" />
        <label className="check">
          <input type="checkbox" checked={idle} onChange={(e) => setIdle(e.target.checked)} /> show idle
        </label>
        <span className="muted small">
          {cpu ? `${root?.value ?? 0} samples${idle ? '' : ' (idle left out)'} over ${((cpu.endTime - cpu.startTime) / 1000).toFixed(0)} ms · click a frame to zoom` : 'loading…'}
        </span>
      </div>
      {root && <FlameGraph data={root} search={search} onSelect={(name, loc, value) => setPicked(`${name}${loc ? ` (${loc})` : ''}: ${value} samples`)} />}
      {picked && (
        <div className="muted small" data-testid="flame-picked">
          {picked}
        </div>
      )}
      <div className="profile-columns">
        <table className="table compact" data-testid="profile-top">
          <thead>
            <tr>
              <th>Function</th>
              <th>Where</th>
              <th className="num">Self</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {top.map((f) => (
              <tr key={`${f.name} ${f.location}`}>
                <td className="mono">{f.name}</td>
                <td className="mono muted">{f.location}</td>
                <td className="num">{f.self}</td>
                <td className="num">{f.total}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div data-testid="profile-tasks">
          <strong>Tasks covered ({profile.taskIds.length})</strong>
          <div className="profile-task-list">
            {profile.taskIds.map((id) => (
              <button key={id} type="button" className="link mono" onClick={() => openTask(id)}>
                {shortId(id)}
              </button>
            ))}
          </div>
        </div>
      </div>
    </section>
  )
}
