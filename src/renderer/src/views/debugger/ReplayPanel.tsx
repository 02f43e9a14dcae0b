/**
 * Replay, in a task's detail and in the Debugger view: run the task once more in a scratch worker
 * process on the console's machine, with its definition's module or another file and its payload or
 * an edited one, optionally with the debugger (the Debugger view then opens, paused just before the
 * handler). Nothing is written to the queue: postbacks show as "would enqueue"; logs, then the result
 * or the error with its stack, show as they come.
 */
import { useState } from 'react'
import type { Task } from '../../../../core/task.ts'
import { JsonField } from '../../components/JsonField.tsx'
import { parseJson, pretty } from '../../lib/json.ts'
import { useWorkerDefs } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { call, toApiError } from '../../transport/index.ts'
import { ReplayEvents } from './ReplayEvents.tsx'
import { useReplays } from './replays.ts'
import { openSession } from './store.ts'

export function ReplayPanel({
  connectionId,
  task,
  startOpen = false,
  debugByDefault = false,
}: {
  connectionId: string
  task: Pick<Task, 'id' | 'type' | 'payload'>
  startOpen?: boolean
  debugByDefault?: boolean
}) {
  const defModule = useWorkerDefs((items) => items.find((d) => d.type === task.type)?.module ?? '').data ?? ''
  const go = useUi((s) => s.go)
  const [open, setOpen] = useState(startOpen)
  const [module, setModule] = useState('')
  const [payload, setPayload] = useState(() => pretty(task.payload))
  const [debug, setDebug] = useState(debugByDefault)
  const [starting, setStarting] = useState(false)
  const [replayId, setReplayId] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const last = useReplays((s) => (replayId ? s.events[replayId]?.at(-1) : undefined))
  const parsed = parseJson(payload, { allowEmpty: false })
  const done = last?.kind === 'succeeded' || last?.kind === 'failed'
  const busy = starting || (replayId !== null && !done)

  const run = async () => {
    if (!parsed.ok) return
    setError(null)
    setStarting(true)
    try {
      // With the debugger the answer comes once the process is paused before the handler.
      const r = await call('tasks.replay', { connectionId, id: task.id, payload: parsed.value, ...(module.trim() ? { module: module.trim() } : {}), ...(debug ? { debug: true } : {}) })
      setReplayId(r.replayId)
      if (r.session) {
        openSession(r.session)
        go('debugger')
      }
    } catch (err) {
      setError(toApiError(err).message)
    } finally {
      setStarting(false)
    }
  }

  if (!open) {
    return (
      <button type="button" className="btn small" onClick={() => setOpen(true)} data-testid="task-replay" title="Run it once more in a scratch process, optionally under the debugger; nothing is written to the queue">
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
      <label className="check" title="The scratch process starts with the inspector on loopback; the Debugger view opens paused just before the handler">
        <input type="checkbox" checked={debug} onChange={(e) => setDebug(e.target.checked)} data-testid="replay-debug" /> with debugger
      </label>
      <div className="row">
        <button type="button" className="btn small primary" disabled={!parsed.ok || busy} onClick={() => void run()} data-testid="replay-run">
          {starting && debug ? 'Starting under the debugger…' : busy ? 'Running…' : debug ? 'Replay with debugger' : 'Run replay'}
        </button>
        {!startOpen && (
          <button type="button" className="btn small ghost" onClick={() => setOpen(false)}>
            Close
          </button>
        )}
        {error && (
          <span className="bad-text" data-testid="replay-error">
            {error}
          </span>
        )}
      </div>
      {replayId && <ReplayEvents replayId={replayId} />}
    </section>
  )
}
