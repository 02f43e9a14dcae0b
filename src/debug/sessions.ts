/**
 * The console's debug sessions: at most one per worker process (a second attach to the same inspector
 * returns the live session, so two tabs see one pause), each relaying its events through `push`. A
 * session ends when its process exits (the inspector closes), on detach, or when the console stops.
 */
import { NotFoundError } from '../core/errors.ts'
import { debugCommand, type DebugEvent, type DebugSessionView, type DebugTarget } from './protocol.ts'
import { DebugSession } from './session.ts'

export class DebugSessions {
  private readonly sessions = new Map<string, DebugSession>()
  /** Sessions the drone routes their type's next tasks to (route()): what ends that routing. */
  private readonly routes = new Map<string, () => void>()

  constructor(private readonly push: (sessionId: string, event: DebugEvent) => void) {}

  async attach(target: DebugTarget): Promise<DebugSessionView> {
    const live = [...this.sessions.values()].find((s) => s.target.inspectUrl === target.inspectUrl && !s.closed)
    if (live) return this.viewOf(live)
    const session = await DebugSession.open(target, (s, event) => {
      if (event.method === 'closed') this.ended(s.id)
      this.push(s.id, event)
    })
    this.sessions.set(session.id, session)
    return this.viewOf(session)
  }

  /**
   * Ties a routing of the session's type to its process (Drone.pinDebug) to the session: `release`
   * runs once when it closes, however (detach, its process exiting, the console stopping), or at once
   * if it is closed already. A session routed already keeps its first release (it is the same pin).
   */
  route(sessionId: string, release: () => void): DebugSessionView | null {
    const s = this.sessions.get(sessionId)
    if (!s || s.closed) {
      release()
      return null
    }
    if (!this.routes.has(sessionId)) this.routes.set(sessionId, release)
    return this.viewOf(s)
  }

  /**
   * A replay's process, blocked waiting for a debugger: a session of its own (never shared: the
   * process is new), released to its pause one step before the handler. The view returned is paused.
   */
  async attachReplay(target: DebugTarget): Promise<DebugSessionView> {
    const session = await DebugSession.open(target, (s, event) => {
      if (event.method === 'closed') this.ended(s.id)
      this.push(s.id, event)
    })
    this.sessions.set(session.id, session)
    try {
      await session.release()
    } catch (err) {
      this.detach(session.id)
      throw err
    }
    return session.view()
  }

  /** Relays one command; `raw` is validated here too, so no caller can pass a method outside the subset. */
  send(sessionId: string, raw: unknown): Promise<unknown> {
    return this.get(sessionId).send(debugCommand.parse(raw))
  }

  view(sessionId: string): DebugSessionView {
    return this.viewOf(this.get(sessionId))
  }

  list(): DebugSessionView[] {
    return [...this.sessions.values()].map((s) => this.viewOf(s))
  }

  detach(sessionId: string): boolean {
    const s = this.sessions.get(sessionId)
    if (!s) return false
    s.close('detached from the console')
    this.ended(sessionId)
    return true
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.detach(id)
  }

  private viewOf(s: DebugSession): DebugSessionView {
    const view = s.view()
    if (this.routes.has(s.id)) view.routed = true
    return view
  }

  /** A session closed: forgotten, and the routing tied to it (route()) ended. */
  private ended(sessionId: string): void {
    this.sessions.delete(sessionId)
    const release = this.routes.get(sessionId)
    this.routes.delete(sessionId)
    release?.()
  }

  private get(sessionId: string): DebugSession {
    const s = this.sessions.get(sessionId)
    if (!s || s.closed) throw new NotFoundError(`no debug session ${sessionId}: its worker process exited or it was detached`)
    return s
  }
}
