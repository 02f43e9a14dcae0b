/**
 * Replay from the Debugger view: a task id on the current connection (pasted from a log line, a chat,
 * the CLI), read with `tasks.get`, then the Replay panel with "with debugger" ticked: the view then
 * shows the replay's process paused just before the handler.
 */
import { useState } from 'react'
import type { Task } from '../../../../core/task.ts'
import { useUi } from '../../stores/ui.ts'
import { call, toApiError } from '../../transport/index.ts'
import { ReplayPanel } from './ReplayPanel.tsx'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function ReplayFromDebugger() {
  const connectionId = useUi((s) => s.connectionId)
  const [id, setId] = useState('')
  const [task, setTask] = useState<Task | null>(null)
  const [error, setError] = useState<string | null>(null)
  const wanted = id.trim()
  const load = async () => {
    if (!connectionId || !UUID.test(wanted)) return
    setError(null)
    setTask(null)
    try {
      setTask((await call('tasks.get', { connectionId, id: wanted })).task)
    } catch (err) {
      setError(toApiError(err).message)
    }
  }
  return (
    <section className="panel" data-testid="debug-replay-form">
      <h3 className="section">Replay a task with the debugger</h3>
      <p className="muted small-text">
        Runs it once more in a scratch process on the console&apos;s machine, paused just before its handler; nothing is written to its queue.
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          void load()
        }}
      >
        <input className="mono" value={id} onChange={(e) => setId(e.target.value)} placeholder="task id" aria-label="Task id" data-testid="debug-replay-id" />
        <button type="submit" className="btn small" disabled={!connectionId || !UUID.test(wanted)} data-testid="debug-replay-load">
          Find
        </button>
        {!connectionId && <span className="muted small-text">Choose a connection first (Tasks).</span>}
        {error && (
          <span className="bad-text small-text" data-testid="debug-replay-error">
            {error}
          </span>
        )}
      </form>
      {task && connectionId && <ReplayPanel key={task.id} connectionId={connectionId} task={task} startOpen debugByDefault />}
    </section>
  )
}
