/**
 * "Debug the next task of type T" with several processes, below the UI: a real drone on an SQLite
 * queue serving `dbg` with 3 processes (and `other` with 2), the console service attaching without
 * naming a process. Every next dbg task then runs in the debugged process and stops at its breakpoint
 * (the drone claiming no more of the type than that process holds) while other types run on;
 * detaching lets the held tasks finish; the debugged process dying ends the routing and no task is
 * lost. Naming a process (Workers' per-process Debug) routes nothing.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushMessage } from '../../src/api/contract.ts'
import { ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import type { DebugEvent, DebugPause } from '../../src/debug/protocol.ts'
import { ROOT } from '../e2e/harness.ts'
import { tempDir, until } from '../helpers.ts'

const MODULE = join(ROOT, 'test/e2e/fixtures/debuggee.mjs')
const MODULE_URL = pathToFileURL(MODULE).href
const NOOP = join(ROOT, 'test/e2e/fixtures/noop.mjs')
const BREAK = readFileSync(MODULE, 'utf8').split('\n').findIndex((l) => l.includes('BREAK'))

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
let droneId: string
const events: Array<{ sessionId: string; event: DebugEvent }> = []

beforeAll(async () => {
  tmp = tempDir('swarmage-debug-routing-')
  service = new ConsoleService({ dataDir: tmp.dir, mode: 'browser', seedExamples: false })
  service.subscribe((m: PushMessage) => {
    if (m.channel === 'debug') events.push({ sessionId: m.sessionId, event: m.event })
  })
  await service.start()
  const dbg = await service.call('workers.save', { type: 'dbg', module: MODULE, watch: false, processes: 3 })
  const other = await service.call('workers.save', { type: 'other', module: NOOP, watch: false, processes: 2 })
  droneId = (await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [dbg.id, other.id], name: 'routing-drone' })).id
})

afterAll(async () => {
  await service.stop()
  tmp.cleanup()
})

/** The first pause of the session after event index `from`, and the index after it. */
async function pauseAfter(sessionId: string, from: number): Promise<{ pause: DebugPause; next: number }> {
  const at = () => events.findIndex((e, i) => i >= from && e.sessionId === sessionId && e.event.method === 'Debugger.paused')
  await until(() => at() >= 0, 30_000, 'a pause')
  const i = at()
  return { pause: (events[i]!.event as Extract<DebugEvent, { method: 'Debugger.paused' }>).params, next: i + 1 }
}

const enqueue = async (type: string, n: number, payload: (i: number) => unknown) =>
  (await service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks: Array.from({ length: n }, (_, i) => ({ type, payload: payload(i) })) })).ids

const states = async (ids: string[]) => Promise.all(ids.map(async (id) => (await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).task.state))
const allSucceeded = (ids: string[]) => until(async () => (await states(ids)).every((s) => s === 'succeeded'), 30_000, 'every task to succeed')

describe('debug routing with processes > 1', () => {
  it('a session on a named process routes nothing', async () => {
    const named = await service.call('debug.attach', { droneId, type: 'other', workerId: 'other#2' })
    expect(named.workerId).toBe('other#2')
    expect(named.routed).toBeUndefined()
    await service.call('debug.detach', { sessionId: named.sessionId })
  })

  it('every next task of the type stops in the debugged process, other types run on, detach lets the held ones finish', async () => {
    const session = await service.call('debug.attach', { droneId, type: 'dbg' })
    expect(session.routed).toBe(true)
    const sid = session.sessionId
    await service.call('debug.command', { sessionId: sid, command: { method: 'Debugger.setBreakpointByUrl', params: { url: MODULE_URL, lineNumber: BREAK } } })

    let from = events.length
    // Without the routing, 2 of every 3 would go to the other processes and never pause.
    const ids = await enqueue('dbg', 5, (i) => ({ n: i + 1 }))
    const seen: number[] = []
    for (let i = 0; i < ids.length; i++) {
      const { pause, next } = await pauseAfter(sid, from)
      from = next
      expect(pause.callFrames[0]).toMatchObject({ url: MODULE_URL, lineNumber: BREAK })
      const n = (await service.call('debug.command', {
        sessionId: sid,
        command: { method: 'Debugger.evaluateOnCallFrame', params: { callFrameId: pause.callFrames[0]!.callFrameId, expression: 'n' } },
      })) as { result: { value: number } }
      seen.push(n.result.value)
      if (i === 0) {
        // The drone holds no more dbg tasks than the one process takes (concurrency 1 + prefetch 1):
        // the rest stay in the queue, claimable by other drones, instead of waiting here.
        expect((await states(ids)).filter((x) => x === 'queued')).toHaveLength(3)
        // A dbg task is held at a breakpoint: another type's tasks run on its own processes meanwhile.
        await allSucceeded(await enqueue('other', 4, () => ({})))
      }
      if (i < ids.length - 1) await service.call('debug.command', { sessionId: sid, command: { method: 'Debugger.resume' } })
    }
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5])
    // Detaching resumes the last one; every attempt ran in the debugged process.
    await service.call('debug.detach', { sessionId: sid })
    await allSucceeded(ids)
    for (const id of ids) expect((await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).attempts.map((a) => a.workerPid)).toEqual([session.pid])
    // The routing ended with the session: tasks run again, without the debugger.
    await allSucceeded(await enqueue('dbg', 6, (i) => ({ n: i })))
    expect(await service.call('debug.sessions', {})).toEqual([])
  })

  it('the debugged process dying ends the routing: the held tasks run elsewhere, none lost', async () => {
    // The process with the inspector still on is chosen again, not restarted.
    const session = await service.call('debug.attach', { droneId, type: 'dbg' })
    expect(session.routed).toBe(true)
    const sid = session.sessionId
    await service.call('debug.command', { sessionId: sid, command: { method: 'Debugger.setBreakpointByUrl', params: { url: MODULE_URL, lineNumber: BREAK } } })
    const from = events.length
    const ids = await enqueue('dbg', 4, (i) => ({ n: i }))
    await pauseAfter(sid, from)
    process.kill(session.pid!, 'SIGKILL')
    await until(() => events.some((e) => e.sessionId === sid && e.event.method === 'closed'), 10_000, 'the session closed')
    // The paused one used an attempt in the dead process and is retried; the rest never started there.
    await allSucceeded(ids)
    const pids = await Promise.all(ids.map(async (id) => (await service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).attempts.at(-1)!.workerPid))
    expect(pids).not.toContain(session.pid)
    expect(await service.call('debug.sessions', {})).toEqual([])
  })
})
