/**
 * The debugger view's state: one debug session at a time (the server may hold more; another tab's
 * stays there), fed by `debug.attach`'s snapshot and then by the 'debug' pushes, in order. Line
 * numbers here are CDP's, 0-based; the editor shows them 1-based.
 */
import { create } from 'zustand'
import type { DebugBreakpoint, DebugCommandInput, DebugEvent, DebugPause, DebugScript, DebugSessionView } from '../../../../debug/protocol.ts'
import { call, toApiError } from '../../transport/index.ts'

/** A task the operator wants to run under the debugger (from its detail): sent once breakpoints are set. */
export interface DebugTaskRef {
  connectionId: string
  id: string
  type: string
  state: string
  payload: unknown
}

interface DebugState {
  session: DebugSessionView | null
  scripts: DebugScript[]
  breakpoints: DebugBreakpoint[]
  paused: DebugPause | null
  /** index into paused.callFrames */
  frame: number
  /** the script shown in the editor */
  scriptId: string | null
  closed: string | null
  attaching: boolean
  error: string | null
  task: DebugTaskRef | null
}

const initial: DebugState = { session: null, scripts: [], breakpoints: [], paused: null, frame: 0, scriptId: null, closed: null, attaching: false, error: null, task: null }

export const useDebug = create<DebugState>(() => initial)

/** Sources by script id: a script's text never changes while its process lives. */
export const sources = new Map<string, Promise<string>>()

export function scriptSource(sessionId: string, scriptId: string): Promise<string> {
  const key = `${sessionId}:${scriptId}`
  let p = sources.get(key)
  if (!p) {
    p = send({ method: 'Debugger.getScriptSource', params: { scriptId } }).then((r) => (r as { scriptSource?: string }).scriptSource ?? '')
    p.catch(() => sources.delete(key))
    sources.set(key, p)
  }
  return p
}

/**
 * Opens (or joins) the session on a worker process, restarting it with the inspector when needed.
 * `restore`: breakpoints of a closed session on the same process, set again (its successor runs the same module).
 */
export async function attach(target: { droneId: string; type: string; workerId?: string }, task: DebugTaskRef | null = null, restore: DebugBreakpoint[] = []): Promise<void> {
  useDebug.setState({ ...initial, attaching: true, task })
  try {
    const s = await call('debug.attach', target)
    for (const b of restore) {
      if (s.breakpoints.some((x) => x.url === b.url && x.lineNumber === b.lineNumber)) continue
      const r = (await call('debug.command', { sessionId: s.sessionId, command: { method: 'Debugger.setBreakpointByUrl', params: { url: b.url, lineNumber: b.lineNumber } } })) as { breakpointId: string }
      s.breakpoints.push({ breakpointId: r.breakpointId, url: b.url, lineNumber: b.lineNumber })
    }
    show(s)
  } catch (err) {
    useDebug.setState({ attaching: false, error: toApiError(err).message })
  }
}

/** Draws a session's snapshot (from `debug.attach`, or `tasks.replay` with the debugger). */
function show(s: DebugSessionView): void {
  useDebug.setState({
    session: s,
    scripts: s.scripts,
    breakpoints: s.breakpoints,
    paused: s.paused,
    scriptId: scriptToShow(s.paused, s.scripts, s.moduleUrls) ?? s.scripts[0]?.scriptId ?? null,
    attaching: false,
  })
}

/** The script a pause shows: its top frame's (a replay's first pause is in its handler); the worker module otherwise. */
function scriptToShow(paused: DebugPause | null, scripts: DebugScript[], moduleUrls: string[]): string | undefined {
  return paused?.callFrames[0]?.scriptId ?? scripts.find((x) => moduleUrls.includes(x.url))?.scriptId
}

/**
 * Shows a session the server already holds: a replay's (its call answered with it, paused at the
 * handler), or one joined from the list of live sessions (after a reload, from another tab).
 */
export function openSession(s: DebugSessionView): void {
  useDebug.setState({ ...initial })
  show(s)
}

export function applyDebugEvent(sessionId: string, event: DebugEvent): void {
  const st = useDebug.getState()
  if (st.session?.sessionId !== sessionId) return
  switch (event.method) {
    case 'Debugger.scriptParsed':
      if (!st.scripts.some((s) => s.scriptId === event.params.scriptId)) useDebug.setState({ scripts: [...st.scripts, event.params] })
      break
    case 'Debugger.paused':
      useDebug.setState({ paused: event.params, frame: 0, scriptId: scriptToShow(event.params, st.scripts, st.session.moduleUrls) ?? st.scriptId })
      break
    case 'Debugger.resumed':
      useDebug.setState({ paused: null, frame: 0 })
      break
    case 'closed':
      useDebug.setState({ paused: null, closed: event.params.reason })
      break
  }
}

export async function send(command: DebugCommandInput): Promise<unknown> {
  const sessionId = useDebug.getState().session?.sessionId
  if (!sessionId) throw new Error('no debug session')
  return call('debug.command', { sessionId, command })
}

/** Runs a command whose answer the view does not need; a failure is shown in the view. */
export function run(command: DebugCommandInput): void {
  useDebug.setState({ error: null })
  send(command).catch((err: unknown) => useDebug.setState({ error: toApiError(err).message }))
}

export async function toggleBreakpoint(url: string, lineNumber: number): Promise<void> {
  const existing = useDebug.getState().breakpoints.find((b) => b.url === url && b.lineNumber === lineNumber)
  useDebug.setState({ error: null })
  try {
    if (existing) {
      await send({ method: 'Debugger.removeBreakpoint', params: { breakpointId: existing.breakpointId } })
      useDebug.setState((s) => ({ breakpoints: s.breakpoints.filter((b) => b.breakpointId !== existing.breakpointId) }))
    } else {
      const r = (await send({ method: 'Debugger.setBreakpointByUrl', params: { url, lineNumber } })) as { breakpointId: string }
      useDebug.setState((s) => ({ breakpoints: [...s.breakpoints, { breakpointId: r.breakpointId, url, lineNumber }] }))
    }
  } catch (err) {
    useDebug.setState({ error: toApiError(err).message })
  }
}

export async function detach(): Promise<void> {
  const sessionId = useDebug.getState().session?.sessionId
  useDebug.setState(initial)
  if (sessionId) await call('debug.detach', { sessionId }).catch(() => undefined)
}
