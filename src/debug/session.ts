/**
 * One console debug session on one worker process: a CDP connection to its inspector, Debugger
 * enabled, and what a view needs to (re)draw itself at any time — the file scripts loaded, the
 * breakpoints set through this session, and the current pause. Commands are relayed as given (they
 * were checked against `debugCommand`); events are trimmed and handed to `emit`.
 */
import { randomUUID } from 'node:crypto'
import { CdpConnection } from './cdp.ts'
import type { DebugBreakpoint, DebugCallFrame, DebugCommand, DebugEvent, DebugPause, DebugScript, DebugSessionView, DebugTarget } from './protocol.ts'

/** Frames kept from a pause: deeper ones are node internals nobody steps through from a console. */
const MAX_FRAMES = 50
/** A replay's process pauses at once when released or stepped; past this something else is wrong (it exited, it hangs). */
const RELEASE_TIMEOUT_MS = 15_000
/**
 * From the host's `debugger` statement: one step to the handler's call, one into it, one out of the
 * async hooks an async handler's promise runs first; a worker object's bound run() adds none (V8 steps
 * through a bound function). A bound, in case the host's code changes: the pause then stays short of
 * the handler rather than stepping on for ever.
 */
const MAX_ENTRY_STEPS = 6

export class DebugSession {
  readonly id = randomUUID()
  private readonly scripts = new Map<string, DebugScript>()
  /** Every parsed script's URL, dependencies' and Node's too: an ES module's frames carry none of their own. */
  private readonly urls = new Map<string, string>()
  private readonly breakpoints = new Map<string, DebugBreakpoint>()
  private paused: DebugPause | null = null
  /** While release() walks the replay's process to its handler: its pauses go to it, not to the console. */
  private releasing = false
  private pauseWaiter: { resolve(p: DebugPause): void; reject(err: Error): void } | null = null

  private constructor(
    readonly target: DebugTarget,
    private readonly conn: CdpConnection,
    private readonly emit: (session: DebugSession, event: DebugEvent) => void,
  ) {
    conn.on('event', (method, params) => this.onEvent(method, params))
    conn.on('close', (reason) => {
      this.paused = null
      this.pauseWaiter?.reject(new Error(reason))
      this.emit(this, { method: 'closed', params: { reason } })
    })
  }

  /** Connects to the target's inspector and enables the debugger (V8 then reports every loaded script). */
  static async open(target: DebugTarget, emit: (session: DebugSession, event: DebugEvent) => void): Promise<DebugSession> {
    const conn = await CdpConnection.open(target.inspectUrl)
    const session = new DebugSession(target, conn, emit)
    try {
      await conn.send('Debugger.enable', {})
      // A process with a debugger attached does not exit when done: Node waits for the debugger to go
      // ("Waiting for the debugger to disconnect..."), so a graceful restart or drone stop would hang
      // until killed. Node says when it starts waiting; the session then lets go at once.
      await conn.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true })
    } catch (err) {
      conn.close('could not enable the debugger')
      throw err
    }
    return session
  }

  /**
   * For a process blocked in `inspector.waitForDebugger()` (a replay with the debugger): lets it run
   * on to the host's `debugger` statement, one statement before the handler's call, then steps into
   * the handler (at most MAX_ENTRY_STEPS, never past the first frame outside the host's script), and
   * resolves paused there, reason 'before-handler': at the handler's first statement, nothing of it
   * run yet, its arguments in scope. The host frames on the way are not relayed: no page knows this
   * session before the call that started it answers. `Runtime.runIfWaitingForDebugger` is sent here,
   * by the service: it is outside the commands a page may relay.
   */
  async release(): Promise<void> {
    this.releasing = true
    try {
      const first = this.nextPause()
      await this.conn.send('Runtime.runIfWaitingForDebugger', {})
      let pause = await first
      // Into the handler's call from the host's own script; out of Node's internals entered on the way
      // (an async handler's promise runs the async hooks first). The first file frame elsewhere is the
      // handler, whatever file it is in.
      const host = pause.callFrames[0]?.url
      for (let i = 0; i < MAX_ENTRY_STEPS && host; i++) {
        const url = pause.callFrames[0]?.url ?? ''
        const step = url === host ? 'Debugger.stepInto' : url.startsWith('file:') ? null : 'Debugger.stepOut'
        if (!step) break
        const next = this.nextPause()
        await this.conn.send(step, {})
        pause = await next
      }
      this.paused = { ...pause, reason: 'before-handler' }
    } finally {
      this.releasing = false
      this.pauseWaiter = null
    }
  }

  private nextPause(): Promise<DebugPause> {
    return new Promise<DebugPause>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the replay's process did not pause before the handler within ${RELEASE_TIMEOUT_MS / 1000} s`)), RELEASE_TIMEOUT_MS)
      this.pauseWaiter = {
        resolve: (p) => (clearTimeout(timer), resolve(p)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      }
    })
  }

  get closed(): boolean {
    return this.conn.isClosed
  }

  async send(command: DebugCommand): Promise<unknown> {
    const result = await this.conn.send(command.method, command.params)
    if (command.method === 'Debugger.setBreakpointByUrl') {
      const id = (result as { breakpointId?: string }).breakpointId
      if (id) this.breakpoints.set(id, { breakpointId: id, url: command.params.url, lineNumber: command.params.lineNumber })
    } else if (command.method === 'Debugger.removeBreakpoint') {
      this.breakpoints.delete(command.params.breakpointId)
    }
    return result
  }

  view(): DebugSessionView {
    return {
      ...this.target,
      sessionId: this.id,
      scripts: [...this.scripts.values()],
      breakpoints: [...this.breakpoints.values()],
      paused: this.paused,
    }
  }

  /** Detaching resumes a paused process: Node's inspector lets it run once its last session is gone. */
  close(reason = 'detached'): void {
    this.conn.close(reason)
  }

  private onEvent(method: string, params: unknown): void {
    if (method === 'Debugger.scriptParsed') {
      const p = params as { scriptId: string; url: string }
      if (p.url) this.urls.set(p.scriptId, p.url)
      // Node's own modules (node:…) and dependencies would bury the user's module among hundreds.
      if (!p.url.startsWith('file://') || p.url.includes('/node_modules/')) return
      const script = { scriptId: p.scriptId, url: p.url }
      this.scripts.set(p.scriptId, script)
      this.emit(this, { method, params: script })
    } else if (method === 'Debugger.paused') {
      const pause = trimPause(params as RawPause, this.urls)
      if (this.releasing) return this.pauseWaiter?.resolve(pause)
      this.paused = pause
      this.emit(this, { method, params: pause })
    } else if (method === 'Debugger.resumed') {
      this.paused = null
      if (!this.releasing) this.emit(this, { method, params: {} })
    } else if (method === 'NodeRuntime.waitingForDisconnect') {
      this.conn.close(this.target.replay ? 'the replay ended (its process exited)' : 'the worker process exited (stopped or restarted)')
    }
  }
}

interface RawPause {
  reason?: string
  hitBreakpoints?: string[]
  callFrames?: Array<{
    callFrameId: string
    functionName?: string
    url?: string
    location: { scriptId: string; lineNumber: number; columnNumber?: number }
    scopeChain?: Array<{ type: string; name?: string; object?: { objectId?: string } }>
  }>
}

function trimPause(raw: RawPause, urls: Map<string, string>): DebugPause {
  const callFrames: DebugCallFrame[] = (raw.callFrames ?? []).slice(0, MAX_FRAMES).map((f) => ({
    callFrameId: f.callFrameId,
    functionName: f.functionName ?? '',
    scriptId: f.location.scriptId,
    // Node reports an empty url on frames of ES modules: the script's own url says which file.
    url: f.url || urls.get(f.location.scriptId) || '',
    lineNumber: f.location.lineNumber,
    columnNumber: f.location.columnNumber ?? 0,
    scopeChain: (f.scopeChain ?? []).map((s) => ({
      type: s.type,
      ...(s.name ? { name: s.name } : {}),
      ...(s.object?.objectId ? { objectId: s.object.objectId } : {}),
    })),
  }))
  return { reason: raw.reason ?? 'other', hitBreakpoints: raw.hitBreakpoints ?? [], callFrames }
}
