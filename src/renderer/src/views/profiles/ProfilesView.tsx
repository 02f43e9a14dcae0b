/**
 * Profiles: CPU profiles of worker processes ("profile the next N tasks") shown as flame graphs, and
 * heap snapshots, each downloadable (.cpuprofile opens in Chrome DevTools' Performance panel,
 * .heapsnapshot in its Memory panel). Stored by the console (its data folder), newest first.
 */
import { useState } from 'react'
import type { ProfileView } from '../../../../api/profile-types.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { fmtBytes, fmtTime } from '../../lib/format.ts'
import { useDroneList } from '../../data/queries.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'
import { downloadProfile } from './files.ts'
import { ProfileDetail } from './ProfileDetail.tsx'
import { ProfileForm } from './ProfileControls.tsx'
import { removeProfile, showProfile, useProfileList, useShownProfileId } from './data.ts'
import './profiles.css'

export function ProfilesView() {
  const drones = useDroneList()
  const { profiles, error: loadError } = useProfileList()
  const selected = useShownProfileId()
  const [error, setError] = useState<ApiError | null>(null)

  const shown = profiles.find((p) => p.id === selected) ?? null
  return (
    <div className="stack">
      <h1>Profiles</h1>
      <ProfileForm drones={drones} />
      <ErrorBox error={error ?? loadError} what="Profiles" testId="profiles-error" />
      {profiles.length === 0 ? (
        <EmptyState title="No profiles yet" testId="profiles-empty">
          Choose a drone and its workers above and press <strong>Profile the next 20 tasks</strong>, then send tasks of that type.
        </EmptyState>
      ) : (
        <ProfileTable profiles={profiles} selected={selected} onSelect={showProfile} onError={setError} />
      )}
      {shown && <ProfileDetail key={shown.id} profile={shown} />}
    </div>
  )
}

function ProfileTable({ profiles, selected, onSelect, onError }: { profiles: ProfileView[]; selected: string | null; onSelect: (id: string) => void; onError: (e: ApiError | null) => void }) {
  const [busy, setBusy] = useState<string | null>(null)
  const act = async (id: string, fn: () => Promise<unknown>) => {
    setBusy(id)
    onError(null)
    try {
      await fn()
    } catch (err) {
      onError(toApiError(err))
    } finally {
      setBusy(null)
    }
  }
  return (
    <table className="table compact" data-testid="profiles-table">
      <thead>
        <tr>
          <th>Kind</th>
          <th>Type</th>
          <th>Process</th>
          <th>Drone</th>
          <th>State</th>
          <th className="num">Tasks</th>
          <th className="num">Samples</th>
          <th className="num">Size</th>
          <th>Started</th>
          <th className="actions-col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {profiles.map((p) => (
          <tr key={p.id} className={p.id === selected ? 'selected' : undefined} data-testid={`profile-row-${p.id}`} data-state={p.state} data-kind={p.kind} onClick={() => p.kind === 'cpu' && onSelect(p.id)}>
            <td>{p.kind === 'cpu' ? 'CPU' : 'heap'}</td>
            <td className="mono">{p.type}</td>
            <td className="mono">
              {p.workerId} <span className="muted">pid {p.pid}</span>
            </td>
            <td className="ellipsis">{p.droneName}</td>
            <td>
              <span className={`state state-${p.state === 'ready' ? 'succeeded' : p.state}`} title={p.error}>
                {p.state}
              </span>
              {p.error && <div className="bad-text small">{p.error}</div>}
            </td>
            <td className="num" data-testid="profile-covered">
              {p.kind === 'cpu' ? `${p.covered}${p.requested !== null ? ` / ${p.requested}` : ''}` : '–'}
            </td>
            <td className="num">{p.kind === 'cpu' ? p.samples : '–'}</td>
            <td className="num">{p.state === 'ready' ? fmtBytes(p.bytes) : '–'}</td>
            <td>{fmtTime(p.startedAt)}</td>
            <td className="actions-col" onClick={(e) => e.stopPropagation()}>
              {p.kind === 'cpu' && p.state === 'ready' && (
                <button type="button" className="btn small" onClick={() => onSelect(p.id)} data-testid="profile-open">
                  Flame graph
                </button>
              )}
              {p.state === 'ready' && (
                <button type="button" className="btn small" disabled={busy === p.id} onClick={() => void act(p.id, () => downloadProfile(p))} data-testid="profile-download" title={p.fileName}>
                  {busy === p.id ? 'Downloading…' : p.kind === 'cpu' ? '.cpuprofile' : '.heapsnapshot'}
                </button>
              )}
              {p.state === 'running' && p.kind === 'cpu' && (
                <button type="button" className="btn small" disabled={busy === p.id} onClick={() => void act(p.id, () => call('profiles.stop', { runId: p.runId }))} data-testid="profile-stop" title="End it now, with the tasks covered so far">
                  Stop
                </button>
              )}
              {p.state !== 'running' && (
                <button type="button" className="btn small ghost" disabled={busy === p.id} onClick={() => void act(p.id, () => removeProfile(p.id))} data-testid="profile-remove">
                  Remove
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
