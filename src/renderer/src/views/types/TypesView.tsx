import { useState } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { usePolledList } from '../../components/hooks.ts'
import { useUi } from '../../stores/ui.ts'
import { call } from '../../transport/index.ts'
import { LimitsForm } from './LimitsForm.tsx'

/** A second: "17 of 20 starts used this second" moves with the claims, and one query per type is cheap. */
const POLL_MS = 1000
export type TypeRow = ApiResults['types.list'][number]

/**
 * Flow control per task type on the selected queue (CONTRACT.md "Flow control"): queued, running,
 * paused, each limit beside its current use, what the limits hold back, and live controls.
 */
export function TypesView() {
  const connectionId = useUi((s) => s.connectionId)
  const { list, error, reload, act } = usePolledList('types.list', connectionId, POLL_MS)
  const [editing, setEditing] = useState<string | null>(null)

  if (!connectionId) {
    return (
      <EmptyState title="No queue selected" testId="types-no-connection">
        Add a connection on <strong>Connections</strong> (g c) first.
      </EmptyState>
    )
  }
  return (
    <div className="stack">
      <div className="view-head">
        <h1>Types</h1>
        <p className="muted">Flow control per task type, held in the queue for every drone at once: pause, running and rate limits, per group too.</p>
      </div>
      <ErrorBox error={error} what="Types" testId="types-error" />
      {list && list.length === 0 ? (
        <EmptyState title="No task types yet" testId="types-empty">
          Types appear once tasks are enqueued, or set limits in the config file (<code>types:</code>) or with <code>swarmage limits TYPE …</code>.
        </EmptyState>
      ) : (
        <table className="table compact" data-testid="types-table">
          <thead>
            <tr>
              <th>Type</th>
              <th className="num">Queued</th>
              <th className="num">Running</th>
              <th>Paused</th>
              <th>Max running</th>
              <th>Rate</th>
              <th>Per group</th>
              <th>Held back</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(list ?? []).map((t) => (
              <TypeRowView
                key={t.type}
                t={t}
                editing={editing === t.type}
                onEdit={() => setEditing(editing === t.type ? null : t.type)}
                onPause={() => void act(call('types.set', { connectionId, type: t.type, settings: { paused: !t.settings.paused } }))}
                onSaved={() => {
                  setEditing(null)
                  reload()
                }}
                connectionId={connectionId}
              />
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

function TypeRowView(p: { t: TypeRow; editing: boolean; onEdit: () => void; onPause: () => void; onSaved: () => void; connectionId: string }) {
  const { t } = p
  const s = t.settings
  const typeFull = s.maxRunning !== null && t.use.running >= s.maxRunning
  const rateFull = t.use.rateN !== null && t.use.starts >= t.use.rateN
  return (
    <>
      <tr data-testid={`type-row-${t.type}`} data-paused={s.paused ? 'yes' : 'no'}>
        <td className="mono">{t.type}</td>
        <td className="num" data-testid="type-queued">
          {t.queued}
        </td>
        <td className="num" data-testid="type-running">
          {t.running}
        </td>
        <td data-testid="type-paused">{s.paused ? <span className="tag warn">paused</span> : 'no'}</td>
        <td data-testid="type-max-running" className={typeFull ? 'warn-text' : ''}>
          {s.maxRunning === null ? '—' : `running ${t.use.running} / max ${s.maxRunning}`}
        </td>
        <td data-testid="type-rate" className={rateFull ? 'warn-text' : ''}>
          {s.rate === null ? '—' : `${t.use.starts} of ${t.use.rateN} starts used in ${s.rate.split('/')[1]}`}
        </td>
        <td data-testid="type-groups">
          {s.groupMaxRunning === null && s.groupRate === null ? (
            '—'
          ) : (
            <>
              <div>
                {s.groupMaxRunning !== null && `max ${s.groupMaxRunning} running`}
                {s.groupMaxRunning !== null && s.groupRate !== null && ' · '}
                {s.groupRate !== null && `rate ${s.groupRate}`}
              </div>
              <div className="muted" data-testid="type-groups-full" title={t.use.fullGroups.map((g) => g.group).join(', ')}>
                {t.use.groupsAtLimit} of {t.use.groups} active group{t.use.groups === 1 ? '' : 's'} at their limit
              </div>
            </>
          )}
        </td>
        <td data-testid="type-held">
          {t.notes.length === 0 ? <span className="muted">nothing</span> : t.notes.map((n) => <div key={n}>{n}</div>)}
        </td>
        <td>
          <button type="button" className="btn small" onClick={p.onPause} data-testid="type-toggle">
            {s.paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" className="btn small" onClick={p.onEdit} data-testid="type-edit">
            {p.editing ? 'Close' : 'Limits…'}
          </button>
        </td>
      </tr>
      {p.editing && (
        <tr>
          <td colSpan={9}>
            <LimitsForm connectionId={p.connectionId} type={t.type} settings={s} onSaved={p.onSaved} />
          </td>
        </tr>
      )}
    </>
  )
}
