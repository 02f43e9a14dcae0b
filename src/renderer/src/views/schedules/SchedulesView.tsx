import { useState, type FormEvent } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { usePolledList } from '../../components/hooks.ts'
import { fmtTime } from '../../lib/format.ts'
import { parseJson } from '../../lib/json.ts'
import { useUi } from '../../stores/ui.ts'
import { call, type ApiError } from '../../transport/index.ts'

const POLL_MS = 2000
type View = ApiResults['schedules.list'][number]

/** Schedules on the selected queue: cron in plain words, zone, next five runs, last run (its task); add, edit, pause, resume, run now, remove. */
export function SchedulesView() {
  const connectionId = useUi((s) => s.connectionId)
  const openTask = useUi((s) => s.openTask)
  const { list, error, setError, act } = usePolledList('schedules.list', connectionId, POLL_MS)
  const [form, setForm] = useState({ name: '', cron: '', type: '', timezone: 'UTC', payload: '{}', catchUp: '0', overlap: 'allow' })

  if (!connectionId) {
    return (
      <EmptyState title="No queue selected" testId="schedules-no-connection">
        Add a connection on <strong>Connections</strong> (g c) first.
      </EmptyState>
    )
  }
  const payload = parseJson(form.payload, { allowEmpty: true })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!payload.ok) return setError({ code: 'input', message: 'payload is not valid JSON' } as ApiError)
    void act(
      call('schedules.set', {
        connectionId,
        name: form.name.trim(),
        schedule: {
          cron: form.cron,
          type: form.type.trim(),
          timezone: form.timezone.trim() || 'UTC',
          payload: payload.value ?? null,
          catchUp: Number(form.catchUp) || 0,
          overlap: form.overlap === 'skip' ? 'skip' : 'allow',
        },
      }),
    )
  }
  const edit = (s: View) =>
    setForm({ name: s.name, cron: s.cron, type: s.type, timezone: s.timezone, payload: JSON.stringify(s.payload), catchUp: String(s.catchUp), overlap: s.overlap })
  const field = (key: keyof typeof form, label: string) => (
    <label className="field">
      <span>{label}</span>
      <input className="mono" value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} data-testid={`schedule-${key}`} />
    </label>
  )
  return (
    <div className="stack">
      <div className="view-head">
        <h1>Schedules</h1>
        <p className="muted">Recurring tasks; every drone on this queue runs the scheduler, each tick makes exactly one task.</p>
      </div>
      <ErrorBox error={error} what="Schedules" testId="schedules-error" />
      {list && list.length === 0 ? (
        <EmptyState title="No schedules" testId="schedules-empty">
          Add one below, in the config file (<code>schedules:</code>) or with <code>swarmage schedule set</code>.
        </EmptyState>
      ) : (
        <table className="table compact" data-testid="schedules-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Cron</th>
              <th>Time zone</th>
              <th>Next five runs</th>
              <th>Last run</th>
              <th>Paused</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(list ?? []).map((s) => (
              <tr key={s.name} data-testid={`schedule-row-${s.name}`}>
                <td className="mono">{s.name}</td>
                <td>
                  <span className="mono">{s.cron}</span>
                  <div className="muted" data-testid="schedule-description">{s.description}</div>
                </td>
                <td>{s.timezone}</td>
                <td data-testid="schedule-next-runs">
                  {s.nextRuns.map((r) => (
                    <div key={r}>{fmtTime(r)}</div>
                  ))}
                </td>
                <td>
                  {s.lastTaskId ? (
                    <button type="button" className="link mono" onClick={() => openTask(s.lastTaskId)} data-testid="schedule-last-run">
                      {s.lastRun ? fmtTime(s.lastRun) : s.lastTaskId}
                    </button>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-testid="schedule-paused">{s.paused ? 'paused' : 'no'}</td>
                <td>
                  <button type="button" className="btn" onClick={() => edit(s)} data-testid="schedule-edit">
                    Edit
                  </button>
                  <button
                    type="button"
                    className="btn"
                    onClick={() => void act(call(s.paused ? 'schedules.resume' : 'schedules.pause', { connectionId, name: s.name }))}
                    data-testid="schedule-toggle"
                  >
                    {s.paused ? 'Resume' : 'Pause'}
                  </button>
                  <button type="button" className="btn" onClick={() => void act(call('schedules.run', { connectionId, name: s.name }))} data-testid="schedule-run">
                    Run now
                  </button>
                  <button type="button" className="btn danger" onClick={() => void act(call('schedules.remove', { connectionId, name: s.name }))} data-testid="schedule-remove">
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="panel form" onSubmit={submit} data-testid="schedule-form">
        <div className="row">
          {field('name', 'Name')}
          {field('cron', 'Cron (5 fields)')}
          {field('type', 'Task type')}
          {field('timezone', 'Time zone')}
          {field('catchUp', 'Catch-up (ms)')}
          <label className="field">
            <span>Overlap</span>
            <select value={form.overlap} onChange={(e) => setForm({ ...form, overlap: e.target.value })} data-testid="schedule-overlap">
              <option value="allow">allow</option>
              <option value="skip">skip</option>
            </select>
          </label>
        </div>
        {field('payload', 'Payload (JSON)')}
        <button type="submit" className="btn primary" data-testid="schedule-save">
          Save schedule
        </button>
      </form>
    </div>
  )
}
