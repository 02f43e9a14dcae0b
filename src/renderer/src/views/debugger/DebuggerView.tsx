/**
 * The console's debugger: the worker module's source with breakpoints, the pause (call stack, scopes,
 * an expression box) and the stepping controls, for one worker process whose inspector the console's
 * server (or the app's main process) speaks to. Opened from Workers (a process's Debug), from a
 * task's detail (Debug this task: the task is then sent once the breakpoints are set), or by a replay
 * with the debugger (a scratch process, paused before the handler; its events show beside the pause).
 */
import { useEffect, useMemo, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { EmptyState } from '../../components/EmptyState.tsx'
import { useAppInfo } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { call, toApiError } from '../../transport/index.ts'
import { LiveSessions } from './LiveSessions.tsx'
import { ReplayEvents } from './ReplayEvents.tsx'
import { ReplayFromDebugger } from './ReplayFromDebugger.tsx'
import { ReplayPanel } from './ReplayPanel.tsx'
import { ProcessProfileButtons } from '../profiles/ProfileControls.tsx'
import { SourceView } from './SourceView.tsx'
import { ExpressionBox, Scopes } from './Values.tsx'
import { attach, detach, run, scriptSource, toggleBreakpoint, useDebug } from './store.ts'
import './debugger.css'

const fileName = (url: string) => decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)) || url

export function DebuggerView() {
  const { session, attaching, closed, error } = useDebug(useShallow((s) => ({ session: s.session, attaching: s.attaching, closed: s.closed, error: s.error })))
  if (!session) {
    return (
      <div className="stack">
        <h1>Debugger</h1>
        {attaching ? (
          <div className="panel info" data-testid="debug-attaching">
            Restarting the worker process with the inspector on and attaching…
          </div>
        ) : (
          <EmptyState title={error ? `Could not attach: ${error}` : 'No debug session'} testId="debug-empty">
            Open <strong>Workers</strong> and press <strong>Debug</strong> on a worker process, or <strong>Debug this task</strong> in a task&apos;s detail, or replay a task
            with the debugger below.
          </EmptyState>
        )}
        {!attaching && <LiveSessions />}
        {!attaching && <ReplayFromDebugger />}
      </div>
    )
  }
  return <Session key={session.sessionId} closed={closed} error={error} />
}

function Session({ closed, error }: { closed: string | null; error: string | null }) {
  const { session, scripts, breakpoints, paused, frame, scriptId } = useDebug(
    useShallow((s) => ({ session: s.session, scripts: s.scripts, breakpoints: s.breakpoints, paused: s.paused, frame: s.frame, scriptId: s.scriptId })),
  )
  const desktop = useAppInfo((i) => i.mode === 'desktop') ?? false
  const [text, setText] = useState('')
  const s = session!
  const script = scripts.find((x) => x.scriptId === scriptId)
  const top = paused?.callFrames[frame] ?? null
  const url = script?.url ?? top?.url ?? ''

  useEffect(() => {
    if (!scriptId) return
    let live = true
    scriptSource(s.sessionId, scriptId).then(
      (t) => live && setText(t),
      (err: unknown) => live && setText(`// could not read the source: ${toApiError(err).message}`),
    )
    return () => {
      live = false
    }
  }, [s.sessionId, scriptId])

  // F8 resume, F10 over, F11 into, Shift+F11 out: DevTools' keys.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const method = e.key === 'F8' ? 'Debugger.resume' : e.key === 'F10' ? 'Debugger.stepOver' : e.key === 'F11' ? (e.shiftKey ? 'Debugger.stepOut' : 'Debugger.stepInto') : null
      if (!method || !useDebug.getState().paused) return
      e.preventDefault()
      run({ method })
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const lines = useMemo(() => breakpoints.filter((b) => b.url === url).map((b) => b.lineNumber + 1), [breakpoints, url])
  const pausedLine = top && top.scriptId === scriptId ? top.lineNumber + 1 : null
  const where = paused?.callFrames[0]
  const state = closed ? 'closed' : paused ? 'paused' : 'running'
  const status = closed
    ? `closed: ${closed}`
    : !paused
      ? 'running'
      : paused.reason === 'before-handler'
        ? `paused at the start of the handler, ${fileName(where?.url ?? '')}:${(where?.lineNumber ?? 0) + 1}: set breakpoints, then Resume or step`
        : `paused (${paused.reason === 'other' && paused.hitBreakpoints.length ? 'breakpoint' : paused.reason}) at ${fileName(where?.url ?? '')}:${(where?.lineNumber ?? 0) + 1}`

  return (
    <div className="stack debugger" data-testid="debugger" data-state={state}>
      <div className="view-head">
        <h1>Debugger</h1>
        <p className="muted" data-testid="debug-head">
          {s.replay ? (
            <>
              <span className="mono">{s.type}</span> · replay of task <span className="mono selectable">{s.replay.taskId}</span> in a scratch process (pid {s.pid ?? '–'}), nothing written to its queue ·{' '}
            </>
          ) : (
            <>
              <span className="mono">{s.type}</span> · process {s.workerId} (pid {s.pid ?? '–'}) · drone {s.droneName} ·{' '}
              {s.routed && !closed && (
                <span data-testid="debug-routed" title="Attached for the next task of this type: the drone sends every task of the type to this process until you detach (its other processes get none meanwhile)">
                  every next {s.type} task runs here ·{' '}
                </span>
              )}
            </>
          )}
          <code className="mono selectable" data-testid="inspect-url" title="The inspector listens on loopback only; the console's server relays to it">
            {s.inspectUrl}
          </code>
        </p>
        <div className="spacer" />
        {desktop && (
          <button type="button" className="btn small ghost" onClick={() => void call('drones.openDevTools', { inspectUrl: s.inspectUrl })} data-testid="debug-devtools">
            Open in DevTools
          </button>
        )}
        {closed && !s.replay && (
          <button type="button" className="btn small" onClick={() => void attach({ droneId: s.droneId, type: s.type, ...(s.routed ? {} : { workerId: s.workerId }) }, useDebug.getState().task, breakpoints)} data-testid="debug-reattach" title="The process was replaced (a restart, a crash, a changed module): debug its successor">
            Attach again
          </button>
        )}
        <button type="button" className="btn small ghost" onClick={() => void detach()} data-testid="debug-detach" title="Detach: a paused process resumes">
          Detach
        </button>
      </div>
      <div className="debug-toolbar row" role="toolbar" aria-label="Debugger controls">
        <span className={`tag ${paused ? 'warn' : closed ? 'bad' : 'good'}`} data-testid="debug-status">
          {status}
        </span>
        <button type="button" className="btn small primary" disabled={!paused} onClick={() => run({ method: 'Debugger.resume' })} data-testid="debug-resume" title="Resume (F8)">
          Resume
        </button>
        <button type="button" className="btn small" disabled={!!paused || !!closed} onClick={() => run({ method: 'Debugger.pause' })} data-testid="debug-pause">
          Pause
        </button>
        <button type="button" className="btn small" disabled={!paused} onClick={() => run({ method: 'Debugger.stepOver' })} data-testid="debug-step-over" title="Step over (F10)">
          Step over
        </button>
        <button type="button" className="btn small" disabled={!paused} onClick={() => run({ method: 'Debugger.stepInto' })} data-testid="debug-step-into" title="Step into (F11)">
          Step into
        </button>
        <button type="button" className="btn small" disabled={!paused} onClick={() => run({ method: 'Debugger.stepOut' })} data-testid="debug-step-out" title="Step out (Shift+F11)">
          Step out
        </button>
        {/* A drone's process only (a replay's runs one task and exits); a paused process would hold a profile's stop and a snapshot until resumed: offered while it runs. */}
        {!closed && !s.replay && s.droneId && <ProcessProfileButtons droneId={s.droneId} type={s.type} workerId={s.workerId} disabled={!!paused} />}
        {error && (
          <span className="bad-text small-text" data-testid="debug-error">
            {error}
          </span>
        )}
      </div>
      {closed && <ReplayFromDebugger />}
      {s.replay ? (
        <section className="panel" data-testid="debug-replay">
          <h3 className="section">Replay</h3>
          <ReplayEvents replayId={s.replay.replayId} inDebugger />
        </section>
      ) : (
        <TaskPanel />
      )}
      <div className="debug-grid">
        <div className="debug-code panel">
          <div className="row">
            <select value={scriptId ?? ''} onChange={(e) => useDebug.setState({ scriptId: e.target.value })} data-testid="debug-script" aria-label="Script">
              {!script && scriptId && <option value={scriptId}>{fileName(url) || `script ${scriptId}`}</option>}
              {scripts.map((x) => (
                <option key={x.scriptId} value={x.scriptId}>
                  {s.moduleUrls.includes(x.url) ? `${fileName(x.url)} (worker module)` : fileName(x.url)}
                </option>
              ))}
            </select>
            <span className="muted small-text">Click a line number to set or clear a breakpoint.</span>
          </div>
          <SourceView text={text} breakpoints={lines} pausedLine={pausedLine} onToggle={(line) => url && void toggleBreakpoint(url, line - 1)} />
        </div>
        <div className="debug-side">
          <section className="panel">
            <h3 className="section">Call stack</h3>
            {!paused ? (
              <div className="muted small-text">Not paused.</div>
            ) : (
              <ol className="debug-frames" data-testid="debug-frames">
                {paused.callFrames.map((f, i) => (
                  <li key={f.callFrameId}>
                    <button type="button" className={`link${i === frame ? ' active' : ''}`} onClick={() => useDebug.setState({ frame: i, scriptId: f.scriptId })} data-testid="debug-frame">
                      <span className="mono">{f.functionName || '(anonymous)'}</span>{' '}
                      <span className="muted small-text">
                        {fileName(f.url)}:{f.lineNumber + 1}
                      </span>
                    </button>
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section className="panel">
            <h3 className="section">Scope</h3>
            {top ? <Scopes key={top.callFrameId} frame={top} /> : <div className="muted small-text">Variables show while paused.</div>}
          </section>
          <section className="panel">
            <h3 className="section">Expression</h3>
            <ExpressionBox key={top?.callFrameId ?? 'none'} frame={top} />
          </section>
        </div>
      </div>
    </div>
  )
}

/** From a task's detail: runs the task again (retry, or an edited-free copy) once breakpoints are set. */
function TaskPanel() {
  const task = useDebug((s) => s.task)
  const openTask = useUi((s) => s.openTask)
  const [sent, setSent] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [replaying, setReplaying] = useState(false)
  if (!task) return null
  const retry = task.state === 'failed' || task.state === 'cancelled'
  const go = async () => {
    setError(null)
    try {
      const id = retry ? (await call('tasks.retry', { connectionId: task.connectionId, id: task.id })).id : (await call('tasks.enqueue', { connectionId: task.connectionId, type: task.type, payload: task.payload })).id
      setSent(id)
    } catch (err) {
      setError(toApiError(err).message)
    }
  }
  return (
    <>
      <div className="panel info row" data-testid="debug-task">
        <span>
          Task <span className="mono">{task.id}</span> ({task.state}): set your breakpoints, then {retry ? 'retry it' : 'send a copy of it (same type and payload)'} to this type&apos;s workers.
        </span>
        <button type="button" className="btn small primary" disabled={sent !== null} onClick={() => void go()} data-testid="debug-task-send">
          {retry ? 'Retry it now' : 'Send a copy now'}
        </button>
        {sent && (
          <button type="button" className="link mono" onClick={() => openTask(sent)} data-testid="debug-task-sent" data-id={sent}>
            open {sent.slice(0, 8)}…
          </button>
        )}
        {!replaying && (
          <button type="button" className="btn small ghost" onClick={() => setReplaying(true)} data-testid="debug-task-replay" title="Run it in a scratch process instead, paused before the handler: nothing is written to its queue">
            Replay it with the debugger instead…
          </button>
        )}
        {error && <span className="bad-text">{error}</span>}
      </div>
      {replaying && <ReplayPanel connectionId={task.connectionId} task={task} startOpen debugByDefault />}
    </>
  )
}
