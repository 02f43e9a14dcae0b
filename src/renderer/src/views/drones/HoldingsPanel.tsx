import { useState } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useAction, useInterval } from '../../components/hooks.ts'
import { fmtCount } from '../../lib/format.ts'
import { call, toApiError, type ApiError } from '../../transport/index.ts'
import { TaskLink } from './TaskLink.tsx'
import './holdings.css'

type Local = ApiResults['drones.holdings']
type Global = ApiResults['queue.droneHoldings']

/** Rows shown: a drone may hold thousands; the server sends counts of all and the first ROWS. */
export const ROWS = 200
/** The list is re-read this often while the panel is open (one cheap call; nothing while closed). */
const POLL_MS = 2000
/** Lease countdowns are recomputed on the client this often, from the expiry read with the list. */
const TICK_MS = 250

export type HoldingsSource = { source: 'local'; droneId: string; name: string } | { source: 'global'; droneId: string; name: string; connectionId: string }

/**
 * What one drone holds. For a drone this console runs: its ledger (buffered, dispatched, running,
 * finishing) with worker process, pid and lease, and "Hand back" for a buffered task. For a drone
 * seen only through the global queue: the running tasks leased to it, as the queue knows them.
 */
export function HoldingsPanel(props: HoldingsSource) {
  const [data, setData] = useState<{ view: Local | Global; receivedAt: number } | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [now, setNow] = useState(() => Date.now())
  const load = (): void => {
    const p: Promise<Local | Global> =
      props.source === 'local' ? call('drones.holdings', { id: props.droneId, limit: ROWS }) : call('queue.droneHoldings', { connectionId: props.connectionId, droneId: props.droneId, limit: ROWS })
    p.then(
      (view) => {
        setData({ view, receivedAt: Date.now() })
        setError(null)
      },
      (err) => setError(toApiError(err)),
    )
  }
  useInterval(load, POLL_MS)
  useInterval(() => setNow(Date.now()), TICK_MS)
  const handBack = useAction(async (taskId: string) => {
    const r = await call('drones.handBack', { id: props.droneId, taskId })
    load()
    return r
  })

  // Time on the clock the list was read on (the drone's or the database's): immune to skew between machines.
  const clock = data ? data.view.at + (now - data.receivedAt) : now
  const view = data?.view
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
                        <TaskLink id={t.id} />
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
                            disabled={handBack.busy}
                            onClick={() => void handBack.run(t.id)}
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
                        <TaskLink id={t.id} />
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
      {handBack.result && (
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
