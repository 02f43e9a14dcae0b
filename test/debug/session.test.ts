/**
 * A console debug session end to end below the UI: a real drone on an SQLite queue, a real worker
 * process restarted with the inspector, and the console service relaying CDP to it (debug.attach,
 * debug.command, 'debug' pushes): a breakpoint by URL, a pause with the locals, evaluate, step, resume,
 * and the task's success. Plus what the relay refuses.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushMessage } from '../../src/api/contract.ts'
import { ApiError, ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import type { DebugEvent, DebugPause, RemoteObject } from '../../src/debug/protocol.ts'
import { ROOT } from '../e2e/harness.ts'
import { tempDir, until } from '../helpers.ts'

const MODULE = join(ROOT, 'test/e2e/fixtures/debuggee.mjs')
const MODULE_URL = pathToFileURL(MODULE).href
/** 0-based line of a marker comment in the fixture. */
const lineOf = (marker: string) => readFileSync(MODULE, 'utf8').split('\n').findIndex((l) => l.includes(marker))

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
const events: Array<{ sessionId: string; event: DebugEvent }> = []

beforeAll(async () => {
  tmp = tempDir('swarmage-debug-')
  service = new ConsoleService({ dataDir: tmp.dir, mode: 'browser', seedExamples: false })
  service.subscribe((m: PushMessage) => {
    if (m.channel === 'debug') events.push({ sessionId: m.sessionId, event: m.event })
  })
  await service.start()
})

afterAll(async () => {
  await service.stop()
  tmp.cleanup()
})

async function nextPause(sessionId: string, from: number): Promise<DebugPause> {
  await until(() => events.slice(from).some((e) => e.sessionId === sessionId && e.event.method === 'Debugger.paused'), 30_000, 'a pause')
  const e = events.slice(from).find((x) => x.sessionId === sessionId && x.event.method === 'Debugger.paused')!
  return (e.event as Extract<DebugEvent, { method: 'Debugger.paused' }>).params
}

async function locals(sessionId: string, pause: DebugPause): Promise<Record<string, RemoteObject>> {
  const scope = pause.callFrames[0]!.scopeChain.find((s) => s.type === 'local')!
  const res = (await service.call('debug.command', { sessionId, command: { method: 'Runtime.getProperties', params: { objectId: scope.objectId! } } })) as {
    result: Array<{ name: string; value?: RemoteObject }>
  }
  return Object.fromEntries(res.result.filter((p) => p.value).map((p) => [p.name, p.value!]))
}

describe('debug sessions through the console service', () => {
  it('breaks on a line of the worker module, shows its locals, evaluates, steps, resumes, and the task succeeds', async () => {
    // A timeout far shorter than the pause below: a process with the inspector on times nothing out.
    const def = await service.call('workers.save', { type: 'dbg', module: MODULE, watch: false, taskTimeoutMs: 500 })
    const drone = await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'dbg-drone' })
    expect(drone.processes[0]?.inspectUrl).toBeUndefined()

    const session = await service.call('debug.attach', { droneId: drone.id, type: 'dbg' })
    // Attaching restarted the process with its inspector on loopback.
    expect(session.inspectUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//)
    expect(session.moduleUrls).toEqual([MODULE_URL])
    expect(session.scripts.map((s) => s.url)).toContain(MODULE_URL)
    expect(session.scripts.every((s) => s.url.startsWith('file://') && !s.url.includes('/node_modules/'))).toBe(true)
    const sid = session.sessionId

    const bp = (await service.call('debug.command', {
      sessionId: sid,
      command: { method: 'Debugger.setBreakpointByUrl', params: { url: MODULE_URL, lineNumber: lineOf('BREAK') } },
    })) as { breakpointId: string }
    expect(bp.breakpointId).toBeTruthy()
    expect((await service.call('debug.sessions', {}))[0]?.breakpoints).toEqual([{ breakpointId: bp.breakpointId, url: MODULE_URL, lineNumber: lineOf('BREAK') }])

    const from = events.length
    const queue = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'dbg', payload: { n: 21 } })
    const pause = await nextPause(sid, from)
    expect(pause.hitBreakpoints).toEqual([bp.breakpointId])
    expect(pause.callFrames[0]).toMatchObject({ url: MODULE_URL, lineNumber: lineOf('BREAK'), functionName: 'debuggee' })
    const vars = await locals(sid, pause)
    expect(vars.n).toMatchObject({ type: 'number', value: 21 })
    expect(vars.label).toMatchObject({ type: 'string', value: 'n=21' })
    // The session remembers the pause for a view that attaches later.
    expect((await service.call('debug.sessions', {}))[0]?.paused?.callFrames[0]?.lineNumber).toBe(lineOf('BREAK'))

    const evaluated = (await service.call('debug.command', {
      sessionId: sid,
      command: { method: 'Debugger.evaluateOnCallFrame', params: { callFrameId: pause.callFrames[0]!.callFrameId, expression: 'n * 100 + label.length' } },
    })) as { result: RemoteObject }
    expect(evaluated.result).toMatchObject({ type: 'number', value: 2104 })

    let mark = events.length
    await service.call('debug.command', { sessionId: sid, command: { method: 'Debugger.stepInto' } })
    const inDouble = await nextPause(sid, mark)
    expect(inDouble.callFrames[0]).toMatchObject({ functionName: 'double', lineNumber: lineOf('STEP-INTO') })
    mark = events.length
    await service.call('debug.command', { sessionId: sid, command: { method: 'Debugger.stepOut' } })
    const back = await nextPause(sid, mark)
    expect(back.callFrames[0]?.functionName).toBe('debuggee')
    mark = events.length
    await service.call('debug.command', { sessionId: sid, command: { method: 'Debugger.stepOver' } })
    const over = await nextPause(sid, mark)
    expect(over.callFrames[0]).toMatchObject({ functionName: 'debuggee', lineNumber: lineOf('STEP-OVER') })
    expect((await locals(sid, over)).doubled).toMatchObject({ type: 'number', value: 42 })

    // Absence of a timeout has no event to wait on: stay paused for three timeouts plus the kill grace.
    const pausedFor = Date.now()
    await until(() => Date.now() - pausedFor > 3 * 500 + 1000, 10_000, 'three task timeouts')
    expect((await service.call('tasks.get', { connectionId: EMBEDDED_ID, id: queue.id })).task.state).toBe('running')
    mark = events.length
    await service.call('debug.command', { sessionId: sid, command: { method: 'Debugger.resume' } })
    await until(() => events.slice(mark).some((e) => e.event.method === 'Debugger.resumed'), 10_000, 'resumed')
    await until(async () => (await service.call('tasks.get', { connectionId: EMBEDDED_ID, id: queue.id })).task.state === 'succeeded', 30_000, 'the task to succeed')
    const done = await service.call('tasks.get', { connectionId: EMBEDDED_ID, id: queue.id })
    expect(done.task.result).toEqual({ doubled: 42, label: 'n=21' })

    // A second attach to the same process returns the live session.
    expect((await service.call('debug.attach', { droneId: drone.id, type: 'dbg' })).sessionId).toBe(sid)
    expect(await service.call('debug.detach', { sessionId: sid })).toEqual({ detached: true })
    await until(() => events.some((e) => e.sessionId === sid && e.event.method === 'closed'), 10_000, 'closed')
    expect(await service.call('debug.sessions', {})).toEqual([])
  })

  it('refuses CDP methods outside the subset, and unknown sessions', async () => {
    const sessions = await service.call('debug.sessions', {})
    const sessionId = sessions[0]?.sessionId ?? 'none'
    const refused = await service.handle('debug.command', { sessionId, command: { method: 'Runtime.evaluate', params: { expression: 'process.exit(1)' } } }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ApiError)
    expect((refused as ApiError).code).toBe('input')
    const gone = await service.handle('debug.command', { sessionId: 'no-such-session', command: { method: 'Debugger.resume' } }).catch((e: unknown) => e)
    expect((gone as ApiError).code).toBe('not-found')
  })
})
