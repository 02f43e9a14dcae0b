/**
 * Replay, in a task's detail: run the task once more in a scratch worker process on the console's
 * machine, with its definition's module or another file and its payload or an edited one. Nothing is
 * written to the queue: postbacks show as "would enqueue"; logs, then the result or the error with its
 * stack, show as they come.
 */
import { useState } from 'react'
import type { Task } from '../../../../core/task.ts'
import { JsonField } from '../../components/JsonField.tsx'
import { parseJson, pretty, prettyClipped } from '../../lib/json.ts'
import { useWorkerDefs } from '../../data/queries.ts'
import { call, toApiError } from '../../transport/index.ts'
import { useReplays } from './replays.ts'

export function ReplayPanel({ connectionId, task }: { connectionId: string; task: Task }) {
  const defModule = useWorkerDefs((items) => items.find((d) => d.type === task.type)?.module ?? '').data ?? ''
  const [open, setOpen] = useState(false)
  const [module, setModule] = useState('')
  const [payload, setPayload] = useState(() => pretty(task.payload))
  const [replayId, setReplayId] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const events = useReplays((s) => (replayId ? s.events[replayId] : undefined))
  const parsed = parseJson(payload, { allowEmpty: false })
  const last = events?.at(-1)
  const done = last?.kind === 'succeeded' || last?.kind === 'failed'

  const run = async () => {
    if (!parsed.ok) return
    setError(null)
    try {
      const r = await call('tasks.replay', { connectionId, id: task.id, payload: parsed.value, ...(module.trim() ? { module: module.trim() } : {}) })
      setReplayId(r.replayId)
    } catch (err) {
      setError(toApiError(err).message)
    }
  }

  if (!open) {
    return (
      <button type="button" className="btn small" onClick={() => setOpen(true)} data-testid="task-replay" title="Run it once more in a scratch process; nothing is written to the queue">
        Replay…
      </button>
    )
  }
  return (
    <section className="panel inset" data-testid="replay-panel">
      <h3>Replay</h3>
      <div className="field">
        <label htmlFor="replay-module">Worker module</label>
        <input id="replay-module" className="mono" value={module} onChange={(e) => setModule(e.target.value)} placeholder={defModule || 'path of the module on the console machine'} data-testid="replay-module" />
      </div>
      <JsonField label="Payload" value={payload} onChange={setPayload} testId="replay-payload" rows={4} allowEmpty={false} />
      <div className="row">
        <button type="button" className="btn small primary" disabled={!parsed.ok || (replayId !== null && !done)} onClick={() => void run()} data-testid="replay-run">
          {replayId !== null && !done ? 'Running…' : 'Run replay'}
        </button>
        <button type="button" className="btn small ghost" onClick={() => setOpen(false)}>
          Close
        </button>
        {error && <span className="bad-text" data-testid="replay-error">{error}</span>}
      </div>
      {events && (
        <ol className="replay-events mono small-text" data-testid="replay-events" data-done={done ? last.kind : ''}>
          {events.map((e, i) => (
            <li key={i} data-kind={e.kind}>
              {e.kind === 'started' && <span className="muted">started in pid {e.pid} with {e.module}</span>}
              {e.kind === 'log' && (
                <span>
                  [{e.level}] {e.message}
                  {e.data !== undefined && <span className="muted"> {JSON.stringify(e.data)}</span>}
                </span>
              )}
              {e.kind === 'would-enqueue' && (
                <span className="warn-text" data-testid="replay-would-enqueue">
                  would enqueue {e.type} {JSON.stringify(e.payload)}
                </span>
              )}
              {e.kind === 'succeeded' && (
                <pre className="selectable" data-testid="replay-result">
                  {prettyClipped(e.result)}
                </pre>
              )}
              {e.kind === 'failed' && (
                <pre className="bad-text selectable" data-testid="replay-failed">
                  {e.error.stack ?? e.error.message}
                </pre>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
