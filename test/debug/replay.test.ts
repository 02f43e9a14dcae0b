/**
 * tasks.replay through the console service: the task runs once in a scratch worker process with its
 * definition's module (or an edited payload), logs and "would enqueue" postbacks come back as pushes,
 * then the result or the error with its stack; the queue is left exactly as it was.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushMessage } from '../../src/api/contract.ts'
import type { ReplayEvent } from '../../src/api/replay.ts'
import type { DebugEvent, DebugPause } from '../../src/debug/protocol.ts'
import { ApiError, ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import { ROOT } from '../e2e/harness.ts'
import { tempDir, until } from '../helpers.ts'

const MODULE = join(ROOT, 'test/e2e/fixtures/replayee.mjs')
let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
const events = new Map<string, ReplayEvent[]>()
const debugEvents = new Map<string, DebugEvent[]>()

beforeAll(async () => {
  tmp = tempDir('swarmage-replay-')
  service = new ConsoleService({ dataDir: tmp.dir, mode: 'browser', seedExamples: false })
  service.subscribe((m: PushMessage) => {
    if (m.channel === 'replay') events.set(m.replayId, [...(events.get(m.replayId) ?? []), m.event])
    if (m.channel === 'debug') debugEvents.set(m.sessionId, [...(debugEvents.get(m.sessionId) ?? []), m.event])
  })
  await service.start()
  await service.call('workers.save', { type: 'rp', module: MODULE, watch: false })
})

afterAll(async () => {
  await service.stop()
  tmp.cleanup()
})

async function finished(replayId: string): Promise<ReplayEvent[]> {
  await until(() => (events.get(replayId) ?? []).some((e) => e.kind === 'succeeded' || e.kind === 'failed'), 30_000, 'the replay to end')
  return events.get(replayId)!
}

describe('replay from the console', () => {
  it('runs the task in a scratch process: logs, would-enqueue postbacks, the result; the queue is unchanged', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 7, children: 2 } })
    const before = await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })
    const statsBefore = await service.call('queue.stats', { connectionId: EMBEDDED_ID })

    const { replayId, module } = await service.call('tasks.replay', { connectionId: EMBEDDED_ID, id })
    expect(module).toBe(MODULE)
    const evs = await finished(replayId)
    expect(evs[0]).toMatchObject({ kind: 'started', module: MODULE })
    expect(evs.find((e) => e.kind === 'log')).toMatchObject({ level: 'info', message: 'replaying', data: { n: 7 } })
    const posted = evs.filter((e) => e.kind === 'would-enqueue')
    expect(posted).toEqual([
      { kind: 'would-enqueue', id: expect.any(String) as string, type: 'child', payload: { i: 0 }, options: expect.any(Object) as object },
      { kind: 'would-enqueue', id: expect.any(String) as string, type: 'child', payload: { i: 1 }, options: expect.any(Object) as object },
    ])
    // the handler holds the made-up ids it was given, and no task has them (checked below)
    const childIds = posted.map((e) => (e as Extract<ReplayEvent, { kind: 'would-enqueue' }>).id)
    expect(new Set(childIds).size).toBe(2)
    expect(evs.at(-1)).toEqual({ kind: 'succeeded', result: { n: 7, childIds } })
    for (const child of childIds) expect(await service.call('tasks.get', { connectionId: EMBEDDED_ID, id: child }).catch(() => null)).toBeNull()

    // Nothing was written: the task's row, its logs and children, and every count are as they were.
    expect(await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).toEqual(before)
    expect((await service.call('queue.stats', { connectionId: EMBEDDED_ID })).types).toEqual(statsBefore.types)
    expect((await service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'child' })).total).toBe(0)
  })

  it('replays with an edited payload, and reports the error with its stack', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 1 } })
    const { replayId } = await service.call('tasks.replay', { connectionId: EMBEDDED_ID, id, payload: { n: 2, fail: 'edited to fail' } })
    const last = (await finished(replayId)).at(-1)
    expect(last?.kind).toBe('failed')
    const error = (last as Extract<ReplayEvent, { kind: 'failed' }>).error
    expect(error.message).toBe('edited to fail')
    expect(error.stack).toContain('explode')
  })

  it('refuses a module that does not exist, naming it, and an unknown task', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 1 } })
    const bad = (await service.handle('tasks.replay', { connectionId: EMBEDDED_ID, id, module: '/nowhere/w.mjs' }).catch((e: unknown) => e)) as ApiError
    expect(bad.code).toBe('input')
    expect(bad.message).toContain('/nowhere/w.mjs')
    const missing = (await service.handle('tasks.replay', { connectionId: EMBEDDED_ID, id: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e)) as ApiError
    expect(missing.code).toBe('not-found')
  })

  it('with the debugger: answers paused before the handler, stops at a breakpoint in the module, then ends as without; the queue is unchanged', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 4, children: 1 } })
    const before = await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })
    const statsBefore = await service.call('queue.stats', { connectionId: EMBEDDED_ID })

    const { replayId, session } = await service.call('tasks.replay', { connectionId: EMBEDDED_ID, id, debug: true })
    expect(session).toBeDefined()
    const s = session!
    expect(s.replay).toEqual({ replayId, connectionId: EMBEDDED_ID, taskId: id })
    expect(s.inspectUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//)
    expect(s.paused?.reason).toBe('before-handler')
    const moduleUrl = pathToFileURL(MODULE).href
    expect(s.moduleUrls).toEqual([moduleUrl])
    expect(s.scripts.map((x) => x.url)).toContain(moduleUrl)
    // At the handler's first statement, nothing of it run yet (it has not logged).
    const first = readFileSync(MODULE, 'utf8').split('\n').findIndex((l) => l.includes("ctx.log.info('replaying'"))
    expect(s.paused?.callFrames[0]).toMatchObject({ url: moduleUrl, functionName: 'replayee', lineNumber: first })
    expect((events.get(replayId) ?? []).filter((e) => e.kind === 'log')).toEqual([])
    expect(events.get(replayId)?.at(-1)).toEqual({ kind: 'debugging', sessionId: s.sessionId, inspectUrl: s.inspectUrl })

    const line = readFileSync(MODULE, 'utf8').split('\n').findIndex((l) => l.includes('// RETURN'))
    const bp = (await service.call('debug.command', { sessionId: s.sessionId, command: { method: 'Debugger.setBreakpointByUrl', params: { url: moduleUrl, lineNumber: line } } })) as { breakpointId: string }
    const pauses = () => (debugEvents.get(s.sessionId) ?? []).filter((e): e is Extract<DebugEvent, { method: 'Debugger.paused' }> => e.method === 'Debugger.paused').map((e) => e.params)
    const seen = pauses().length
    await service.call('debug.command', { sessionId: s.sessionId, command: { method: 'Debugger.resume' } })
    await until(() => pauses().length > seen, 15_000, 'the breakpoint')
    const pause: DebugPause = pauses().at(-1)!
    expect(pause.hitBreakpoints).toEqual([bp.breakpointId])
    expect(pause.callFrames[0]).toMatchObject({ url: moduleUrl, lineNumber: line, functionName: 'replayee' })
    const ev = (await service.call('debug.command', {
      sessionId: s.sessionId,
      command: { method: 'Debugger.evaluateOnCallFrame', params: { callFrameId: pause.callFrames[0]!.callFrameId, expression: 'payload.n * 10 + ids.length', returnByValue: true } },
    })) as { result: { value: unknown } }
    expect(ev.result.value).toBe(41)
    await service.call('debug.command', { sessionId: s.sessionId, command: { method: 'Debugger.resume' } })

    const evs = await finished(replayId)
    const child = evs.find((e) => e.kind === 'would-enqueue') as Extract<ReplayEvent, { kind: 'would-enqueue' }>
    expect(child).toMatchObject({ type: 'child', payload: { i: 0 } })
    expect(evs.at(-1)).toEqual({ kind: 'succeeded', result: { n: 4, childIds: [child.id] } })
    // The process exits once done, and the session with it.
    await until(() => (debugEvents.get(s.sessionId) ?? []).some((e) => e.method === 'closed'), 15_000, 'the session to close')
    expect((await service.call('debug.sessions', {})).map((x) => x.sessionId)).not.toContain(s.sessionId)

    expect(await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).toEqual(before)
    expect((await service.call('queue.stats', { connectionId: EMBEDDED_ID })).types).toEqual(statsBefore.types)
    expect((await service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'child' })).total).toBe(0)
  })

  it('with the debugger: a module that fails to load is an error of the call, and the replay ends failed', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 1 } })
    const broken = join(tmp.dir, 'broken.mjs')
    writeFileSync(broken, 'throw new Error("does not load")\n')
    const err = (await service.handle('tasks.replay', { connectionId: EMBEDDED_ID, id, module: broken, debug: true }).catch((e: unknown) => e)) as ApiError
    expect(err.code).toBe('input')
    expect(err.message).toContain('does not load')
    expect(await service.call('debug.sessions', {})).toEqual([])
  })

  it('with the debugger: detaching while paused before the handler lets the replay run to its end', async () => {
    const { id } = await service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 6 } })
    const { replayId, session } = await service.call('tasks.replay', { connectionId: EMBEDDED_ID, id, debug: true })
    expect(session?.paused?.reason).toBe('before-handler')
    expect(await service.call('debug.detach', { sessionId: session!.sessionId })).toEqual({ detached: true })
    expect((await finished(replayId)).at(-1)).toEqual({ kind: 'succeeded', result: { n: 6, childIds: [] } })
  })
})
