import { useState } from 'react'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useDrones, useWorkerDefs } from '../../data/queries.ts'
import { DroneCard } from './DroneCard.tsx'
import { RemoteDrones } from './RemoteDrones.tsx'
import { StartDrone } from './StartDrone.tsx'

export function DronesView() {
  const { data: items = [], isSuccess: loaded, error, refetch: load } = useDrones()
  const defs = useWorkerDefs((items) => items.length).data ?? 0
  const [starting, setStarting] = useState(false)
  const stopped = items.filter((d) => d.state === 'stopped' || d.state === 'failed')
  const live = items.filter((d) => !stopped.includes(d))
  return (
    <div className="stack">
      <div className="view-head">
        <h1>Drones</h1>
        <p className="muted">Drones this {`app`} runs: each claims tasks from a queue and feeds its worker processes.</p>
        <div className="spacer" />
        <button type="button" className="btn primary" onClick={() => setStarting(true)} disabled={starting} data-testid="drone-new">
          Start a drone
        </button>
      </div>
      {starting && <StartDrone onDone={() => setStarting(false)} />}
      <ErrorBox error={error} what="Could not list drones" onRetry={() => void load()} testId="drones-error" />
      {loaded && items.length === 0 && !error && !starting && (
        <EmptyState title="No drones running" testId="drones-empty">
          {defs === 0 ? (
            <>
              First add a worker definition on <strong>Workers</strong> (g w), then come back and press <strong>Start a drone</strong>.
            </>
          ) : (
            <>
              Press <strong>Start a drone</strong>, pick a queue and the workers it should run. Drones on other machines appear under <strong>Cluster</strong> (g k).
            </>
          )}
        </EmptyState>
      )}
      {live.map((d) => (
        <DroneCard key={d.id} drone={d} />
      ))}
      <RemoteDrones localIds={new Set(items.map((d) => d.id))} />
      {stopped.length > 0 && <h2 className="section">Stopped</h2>}
      {stopped.map((d) => (
        <DroneCard key={d.id} drone={d} />
      ))}
    </div>
  )
}
