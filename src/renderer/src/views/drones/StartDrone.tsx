import { useState, type FormEvent } from 'react'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useAction } from '../../components/hooks.ts'
import { useConnections, useDrones, useWorkerDefs } from '../../stores/resources.ts'
import { useUi } from '../../stores/ui.ts'
import { call } from '../../transport/index.ts'

export function StartDrone({ onDone }: { onDone: () => void }) {
  const connections = useConnections((s) => s.items)
  const defs = useWorkerDefs((s) => s.items)
  const current = useUi((s) => s.connectionId)
  const [connectionId, setConnectionId] = useState(current ?? connections[0]?.id ?? '')
  const [picked, setPicked] = useState<Set<string>>(() => new Set(defs.map((d) => d.id)))
  const [name, setName] = useState('')
  const start = useAction(async () => {
    const drone = await call('drones.start', { connectionId, workerIds: [...picked], ...(name.trim() ? { name: name.trim() } : {}) })
    await useDrones.getState().load()
    return drone
  })
  const toggle = (id: string) =>
    setPicked((s) => {
      const n = new Set(s)
      if (n.has(id)) n.delete(id)
      else n.add(id)
      return n
    })
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
          <select id="ds-conn" value={connectionId} onChange={(e) => setConnectionId(e.target.value)} data-testid="drone-connection">
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} — {c.display}
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
        <legend>Workers</legend>
        {defs.length === 0 ? (
          <div className="muted">No worker definitions yet: add one on the Workers view (g w) first.</div>
        ) : (
          <div className="checks">
            {defs.map((d) => (
              <label key={d.id} className="check">
                <input type="checkbox" checked={picked.has(d.id)} onChange={() => toggle(d.id)} data-testid={`drone-worker-${d.type}`} />
                <span className="mono">{d.type}</span> <span className="muted">×{d.processes}</span>
              </label>
            ))}
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
        {start.busy && <span className="muted">migrating, spawning worker processes…</span>}
      </div>
      <ErrorBox error={start.error} what="The drone did not start" testId="drone-start-error" />
    </form>
  )
}
