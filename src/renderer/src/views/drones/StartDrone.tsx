import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useAction } from '../../components/hooks.ts'
import { servedTypes } from '../../lib/drone-record.ts'
import { dronesQuery, queueDronesQuery, useConnectionList, useWorkerDefList } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { call } from '../../transport/index.ts'

/** The operator's last choice of workers, per queue: the form's starting point next time (issue 16). */
const CHOICE_KEY = 'swarmage.droneWorkers.'
const NO_DRONES: ApiResults['queue.drones'] = []

function lastChoice(connectionId: string, known: Set<string>): Set<string> {
  try {
    const ids = JSON.parse(globalThis.localStorage?.getItem(CHOICE_KEY + connectionId) ?? '[]') as unknown
    return new Set(Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string' && known.has(id)) : [])
  } catch {
    return new Set()
  }
}

export function StartDrone({ onDone }: { onDone: () => void }) {
  const connections = useConnectionList()
  const defs = useWorkerDefList()
  const qc = useQueryClient()
  const current = useUi((s) => s.connectionId)
  const [connectionId, setConnectionId] = useState(current ?? connections[0]?.id ?? '')
  // Nothing ticked by default: on a shared queue a tick means "run this code on the cluster's tasks".
  const [picked, setPicked] = useState<Set<string>>(() => lastChoice(connectionId, new Set(defs.map((d) => d.id))))
  const [name, setName] = useState('')
  // Best effort, read once per queue picked: a queue that cannot be read now still lets the operator start (the start says why it fails).
  const others = useQuery({ ...queueDronesQuery(connectionId, 0), enabled: !!connectionId }).data
  const served = servedTypes(others ?? NO_DRONES)
  const start = useAction(async () => {
    const drone = await call('drones.start', { connectionId, workerIds: [...picked], ...(name.trim() ? { name: name.trim() } : {}) })
    globalThis.localStorage?.setItem(CHOICE_KEY + connectionId, JSON.stringify([...picked]))
    await qc.invalidateQueries({ queryKey: dronesQuery().queryKey })
    return drone
  })
  const toggle = (id: string) =>
    setPicked((s) => {
      const n = new Set(s)
      if (n.has(id)) n.delete(id)
      else n.add(id)
      return n
    })
  const changeQueue = (id: string) => {
    setConnectionId(id)
    setPicked(lastChoice(id, new Set(defs.map((d) => d.id))))
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (await start.run()) onDone()
  }
  return (
    <form className="panel form" onSubmit={submit} data-testid="drone-start-form">
      <h2>Start a drone</h2>
      <div className="row">
        <div className="field grow">
          <label htmlFor="ds-conn">Queue</label>
          <select id="ds-conn" value={connectionId} onChange={(e) => changeQueue(e.target.value)} data-testid="drone-connection">
            {connections.map((c) => (
              <option key={c.id} value={c.id} title={c.display}>
                {c.name} — {c.target.summary}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ds-name">Name (optional)</label>
          <input id="ds-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="host-pid" data-testid="drone-name" />
        </div>
      </div>
      <fieldset className="field">
        <legend>Workers: the task types this drone claims from the queue</legend>
        {defs.length === 0 ? (
          <div className="muted">No worker definitions yet: add one on the Workers view (g w) first.</div>
        ) : (
          <div className="checks">
            {defs.map((d) => {
              const by = served.get(d.type)
              return (
                <label key={d.id} className="check" data-testid={`drone-worker-row-${d.type}`}>
                  <input type="checkbox" checked={picked.has(d.id)} onChange={() => toggle(d.id)} data-testid={`drone-worker-${d.type}`} />
                  <span className="mono">{d.type}</span> <span className="muted">×{d.processes}</span>
                  {d.example && (
                    <span className="tag warn" title="An example worker from the app's resources: demo code, not yours" data-testid={`drone-worker-example-${d.type}`}>
                      example
                    </span>
                  )}
                  <span className={`muted small-text`} data-testid={`drone-worker-served-${d.type}`} title={by ? `live drones serving ${d.type}: ${by.join(', ')}` : undefined}>
                    {others === undefined ? '' : by ? `served by ${by.length} other drone${by.length === 1 ? '' : 's'}` : 'no other drone serves it'}
                  </span>
                </label>
              )
            })}
          </div>
        )}
      </fieldset>
      <div className="actions">
        <button type="submit" className="btn primary" disabled={start.busy || picked.size === 0 || !connectionId} data-testid="drone-start">
          {start.busy ? 'Starting…' : 'Start'}
        </button>
        <button type="button" className="btn ghost" onClick={onDone}>
          Cancel
        </button>
        {picked.size === 0 && <span className="muted">tick the workers this drone should run</span>}
        {start.busy && <span className="muted">migrating, spawning worker processes…</span>}
      </div>
      <ErrorBox error={start.error} what="The drone did not start" testId="drone-start-error" />
    </form>
  )
}
