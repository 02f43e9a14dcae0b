/**
 * The console's debugger, as the API contract sees it: the subset of the Chrome DevTools Protocol a
 * console may send to a worker process's inspector through a debug session (`debugCommand`, checked
 * at run time: anything else is refused, so an authenticated console cannot, say, start a profiler or
 * change the process's network), and the events relayed back (`DebugEvent`), trimmed to what a
 * debugger view shows so a pause costs a few kilobytes, not the whole of V8's description.
 *
 * Pure types and zod schemas: the renderer imports this file (through contract.ts).
 */
import { z } from 'zod'

const callFrameId = z.string().min(1).max(1000)
const objectId = z.string().min(1).max(1000)
const none = z.strictObject({}).default({})

export const debugCommand = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('Debugger.enable'), params: none }),
  z.strictObject({
    method: z.literal('Debugger.setBreakpointByUrl'),
    params: z.strictObject({
      url: z.string().min(1).max(4096),
      lineNumber: z.number().int().min(0).max(10_000_000),
      columnNumber: z.number().int().min(0).max(10_000_000).optional(),
      condition: z.string().max(10_000).optional(),
    }),
  }),
  z.strictObject({ method: z.literal('Debugger.removeBreakpoint'), params: z.strictObject({ breakpointId: z.string().min(1).max(5000) }) }),
  z.strictObject({ method: z.literal('Debugger.resume'), params: none }),
  z.strictObject({ method: z.literal('Debugger.stepOver'), params: none }),
  z.strictObject({ method: z.literal('Debugger.stepInto'), params: none }),
  z.strictObject({ method: z.literal('Debugger.stepOut'), params: none }),
  z.strictObject({ method: z.literal('Debugger.pause'), params: none }),
  z.strictObject({
    method: z.literal('Debugger.evaluateOnCallFrame'),
    params: z.strictObject({
      callFrameId,
      expression: z.string().min(1).max(10_000),
      returnByValue: z.boolean().optional(),
      generatePreview: z.boolean().optional(),
    }),
  }),
  z.strictObject({ method: z.literal('Debugger.getScriptSource'), params: z.strictObject({ scriptId: z.string().min(1).max(100) }) }),
  z.strictObject({
    method: z.literal('Runtime.getProperties'),
    params: z.strictObject({ objectId, ownProperties: z.boolean().default(true), generatePreview: z.boolean().optional() }),
  }),
])
export type DebugCommand = z.infer<typeof debugCommand>
/** What a caller writes: `params` may be left out where the method takes none. */
export type DebugCommandInput = z.input<typeof debugCommand>
export type DebugCommandMethod = DebugCommand['method']

/** CDP's RemoteObject, the fields a view shows. */
export interface RemoteObject {
  type: string
  subtype?: string
  className?: string
  value?: unknown
  unserializableValue?: string
  description?: string
  objectId?: string
}

/** A script the worker process loaded from a file (node internals and node_modules are left out). */
export interface DebugScript {
  scriptId: string
  url: string
}

export interface DebugScope {
  type: string
  name?: string
  objectId?: string
}

export interface DebugCallFrame {
  callFrameId: string
  functionName: string
  scriptId: string
  url: string
  /** 0-based, as in CDP */
  lineNumber: number
  columnNumber: number
  scopeChain: DebugScope[]
}

export interface DebugPause {
  /**
   * CDP's reason ('other' for a breakpoint or a `debugger` statement, 'step', …), or ours:
   * 'before-handler' for a replay's first pause, one step before the handler runs.
   */
  reason: string
  hitBreakpoints: string[]
  callFrames: DebugCallFrame[]
}

export interface DebugBreakpoint {
  breakpointId: string
  url: string
  /** 0-based */
  lineNumber: number
}

/** What a session relays to the console, in the inspector's order; `closed` is ours (the inspector went away or the session was detached). */
export type DebugEvent =
  | { method: 'Debugger.paused'; params: DebugPause }
  | { method: 'Debugger.resumed'; params: Record<string, never> }
  | { method: 'Debugger.scriptParsed'; params: DebugScript }
  | { method: 'closed'; params: { reason: string } }

/** The worker process a session is attached to: a drone's, or a replay's scratch process. */
export interface DebugTarget {
  /** '' for a replay's process (no drone runs it) */
  droneId: string
  droneName: string
  type: string
  workerId: string
  pid: number | null
  /** ws://127.0.0.1:PORT/UUID: the inspector stays on loopback; only the console's server speaks to it */
  inspectUrl: string
  /** file URLs of the worker modules serving `type` in that drone (the script a view opens first) */
  moduleUrls: string[]
  /**
   * Set when the process is a replay's (`tasks.replay` with `debug: true`): it runs that one task and
   * exits, so a closed session cannot be attached again.
   */
  replay?: DebugReplay
}

export interface DebugReplay {
  replayId: string
  connectionId: string
  taskId: string
}

export interface DebugSessionView extends DebugTarget {
  sessionId: string
  /**
   * Set while the drone sends every next task of `type` to this process (the session was attached
   * for "the next task of type T" or "debug this task", not to one chosen process): until it closes.
   */
  routed?: true
  scripts: DebugScript[]
  breakpoints: DebugBreakpoint[]
  paused: DebugPause | null
}
