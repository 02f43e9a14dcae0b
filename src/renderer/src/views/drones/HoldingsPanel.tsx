import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useInterval } from '../../components/hooks.ts'
import { callApi } from '../../data/api-query.ts'
import { droneHoldingsQuery, leasedHoldingsQuery } from '../../data/holdings-queries.ts'
import { fmtCount } from '../../lib/format.ts'
import { TaskLink } from './TaskLink.tsx'
import './holdings.css'

type Local = ApiResults['drones.holdings']
type Global = ApiResults['queue.droneHoldings']

/** Lease countdowns are recomputed on the client this often, from the expiry read with the list. */
const TICK_MS = 250

export interface HoldingsSource {
  /** local: a drone this console runs (its ledger); global: any drone, through the global queue */
  source: 'local' | 'global'
  droneId: string
  name: string
  connectionId: string
}

/**
 * What one drone holds. For a drone this console runs: its ledger (buffered, dispatched, running,
 * finishing) with worker process, pid and lease, and "Hand back" for a buffered task. For a drone
 * seen only through the global queue: the running tasks leased to it, as the queue knows them.
 */
export function HoldingsPanel(props: HoldingsSource) {
  // Only the query of this panel's source is enabled; both are declared so hooks keep their order.
  const local = useQuery({ ...droneHoldingsQuery(props.droneId), enabled: props.source === 'local' })
  const global = useQuery({ ...leasedHoldingsQuery(props.connectionId, props.droneId), enabled: props.source === 'global' })
  const q = props.source === 'local' ? local : global
  const [now, setNow] = useState(() => Date.now())
  useInterval(() => setNow(Date.now()), TICK_MS)
  const qc = useQueryClient()
  const handBack = useMutation({
    mutationFn: (taskId: string) => callApi('drones.handBack', { id: props.droneId, taskId }),
    onSettled: () => qc.invalidateQueries({ queryKey: droneHoldingsQuery(props.droneId).queryKey }),
  })

  const view: Local | Global | undefined = q.data
  // Time on the clock the list was read on (the drone's or the database's), advanced by this page's
  // clock since it arrived: immune to skew between machines.
  const clock = view ? view.at + (now - q.dataUpdatedAt) : now
  const error = q.error
  return (
    <div className="holdings" data-testid={`holdings-${props.name}`} data-source={props.source}>
      <ErrorBox error={error} what="Could not read what the drone holds" testId="holdings-error" />
      <ErrorBox error={handBack.error} what="Hand back failed" testId="holdings-handback-error" />
      {view?.source === 'local' && <LocalCounts view={view} />}
      {view?.source === 'global' && (
        <p className="muted" data-testid="holdings-global-note">
          <strong data-testid="holdings-count-leased">{fmtCount(view.total)}</strong> tasks leased to this drone, as the global queue knows them. Its buffer and worker processes are in its own local queue:
          run the drone from this console to see them (and hand tasks back).
        </p>
      )}
      {view && view.total > view.tasks.length && (
        <p className="muted" data-testid="holdings-capped">
          Showing the first {view.tasks.length} of {fmtCount(view.total)}
          {view.source === 'local' ? ': running first, then dispatched, buffered, finishing.' : ', soonest lease expiry first.'}
        </p>
      )}
      {view && view.tasks.length > 0 && (
        <div className="holdings-scroll">
          <table className="table compact" data-testid="holdings-table">
            <thead>
              <tr>
                {view.source === 'local' && <th>State</th>}
                <th>Task</th>
                <th>Type</th>
                <th className="num">Attempt</th>
                {view.source === 'local' && <th>Worker</th>}
                {view.source === 'local' && <th className="num">PID</th>}
                <th className="num">Running for</th>
                <th className="num">Lease expires in</th>
                {view.source === 'local' && <th />}
              </tr>
            </thead>
            <tbody>
              {view.source === 'local'
                ? view.tasks.map((t) => (
                    <tr key={t.id} data-testid={`holding-${t.id}`} data-state={t.state}>
                      <td>
                        <span className={`hold-state hold-${t.state}`}>{t.state}</span>
                      </td>
                      <td className="mono">
                        <TaskLink id={t.id} connectionId={props.connectionId} />
                      </td>
                      <td className="mono">{t.type}</td>
                      <td className="num">{t.attempt}</td>
                      <td className="mono">{t.workerId ?? '–'}</td>
                      <td className="num mono" data-testid="holding-pid">
                        {t.pid ?? '–'}
                      </td>
                      <td className="num">{t.startedAt === null ? '–' : seconds(clock - t.startedAt)}</td>
                      <Lease expiresAt={t.leaseExpiresAt} clock={clock} />
                      <td>
                        {t.state === 'buffered' && (
                          <button
                            type="button"
                            className="btn small ghost"
                            disabled={handBack.isPending}
                            onClick={() => handBack.mutate(t.id)}
                            data-testid="holding-handback"
                            title="Give this task back to the global queue (no attempt used); any drone may claim it. Pause this drone first, or it may claim it again."
                          >
                            Hand back
                          </button>
                        )}
                      </td>
                    </tr>
                  ))
                : view.tasks.map((t) => (
                    <tr key={t.id} data-testid={`holding-${t.id}`} data-state="leased">
                      <td className="mono">
                        <TaskLink id={t.id} connectionId={props.connectionId} />
                      </td>
                      <td className="mono">{t.type}</td>
                      <td className="num">
                        {t.attempts} of {t.maxAttempts}
                      </td>
                      <td className="num">{t.startedAt === null ? '–' : seconds(clock - t.startedAt)}</td>
                      <Lease expiresAt={t.leaseExpiresAt} clock={clock} />
                    </tr>
                  ))}
            </tbody>
          </table>
        </div>
      )}
      {view && view.tasks.length === 0 && (
        <p className="muted" data-testid="holdings-empty">
          {props.name} holds no task right now.
        </p>
      )}
      {handBack.isSuccess && (
        <p className="muted" data-testid="holdings-handed-back">
          Handed back: the task is in the global queue again, claimable by any drone.
        </p>
      )}
    </div>
  )
}

function LocalCounts({ view }: { view: Local }) {
  const states = ['running', 'dispatched', 'buffered', 'finishing'] as const
  return (
    <div className="holdings-counts" data-testid="holdings-counts">
      {states.map((s) => (
        <span key={s} className={`hold-state hold-${s}`} title={STATE_HELP[s]}>
          {s} <strong data-testid={`holdings-count-${s}`}>{fmtCount(view.counts[s])}</strong>
        </span>
      ))}
    </div>
  )
}

const STATE_HELP = {
  running: 'started in a worker process',
  dispatched: 'sent to a worker process, waiting for a free slot there',
  buffered: "claimed, waiting in the drone's local queue: can be handed back",
  finishing: 'outcome stored, waiting for the global queue to acknowledge it',
} as const

function Lease({ expiresAt, clock }: { expiresAt: number; clock: number }) {
  const left = expiresAt - clock
  return (
    <td className={`num${left <= 0 ? ' bad-text' : left < 5000 ? ' warn-text' : ''}`} data-testid="holding-lease" data-expires-at={expiresAt}>
      {left <= 0 ? `expired ${seconds(-left)} ago` : seconds(left)}
    </td>
  )
}

function seconds(ms: number): string {
  const s = Math.max(0, ms) / 1000
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`
}
