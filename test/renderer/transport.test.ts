import { describe, expect, it } from 'vitest'
import { parseJson, prettyClipped } from '../../src/renderer/src/lib/json.ts'
import { ApiError, fixHint, toApiError } from '../../src/renderer/src/transport/errors.ts'
import { createBridgeTransport, type PreloadBridge } from '../../src/renderer/src/transport/bridge.ts'
import type { IpcReply } from '../../src/api/contract.ts'
import { backoffMs, socketUrl } from '../../src/renderer/src/transport/websocket.ts'
import { fmtAgo, fmtCount, fmtMs } from '../../src/renderer/src/lib/format.ts'

describe('renderer transport helpers', () => {
  it('builds the WebSocket address from the page, carrying the #token as ?token', () => {
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:7777', hash: '#token=a+b/c' })).toBe('ws://127.0.0.1:7777/ws?token=a%20b%2Fc')
    expect(socketUrl({ protocol: 'https:', host: 'x:1', hash: '' })).toBe('wss://x:1/ws')
  })

  it('backs off from 250 ms doubling to at most 5 s, with jitter', () => {
    for (let i = 0; i < 50; i++) {
      expect(backoffMs(0)).toBeGreaterThanOrEqual(200)
      expect(backoffMs(0)).toBeLessThanOrEqual(300)
      expect(backoffMs(20)).toBeLessThanOrEqual(6000)
      expect(backoffMs(20)).toBeGreaterThanOrEqual(4000)
    }
  })

  it('reads the error code from the error object, never from its text', () => {
    // Text that looks like a code stays text: codes travel as fields on every transport now.
    expect([toApiError(new Error('[schema] words')).code, toApiError(new Error('[schema] words')).message]).toEqual(['internal', '[schema] words'])
    const ipc = toApiError(new Error("Error invoking remote method 'swarmage:tasks.get': Error: No handler registered for 'swarmage:tasks.get'"))
    expect([ipc.code, ipc.message]).toEqual(['internal', "No handler registered for 'swarmage:tasks.get'"])
    expect(toApiError({ code: 'input', message: 'type: bad' }).code).toBe('input')
    expect(toApiError({ code: 'made-up', message: 'x' }).code).toBe('internal')
    expect(toApiError('plain').code).toBe('internal')
    const e = new ApiError('transport', 'gone')
    expect(toApiError(e)).toBe(e)
    expect(fixHint('schema')).toContain('Migrate')
  })
})

describe("the bridge transport (desktop): main's reply object, read as it came from the preload", () => {
  const bridgeAnswering = (reply: () => Promise<IpcReply>): PreloadBridge => ({ onPush: () => () => undefined, tasks: { get: reply } })

  it("resolves with the result and rejects with the error object's own code and message", async () => {
    const ok = createBridgeTransport(bridgeAnswering(async () => ({ result: { id: 'x' } }) as IpcReply))
    await expect(ok.call('tasks.get', { connectionId: 'c', id: 'x' })).resolves.toEqual({ id: 'x' })
    const refused = createBridgeTransport(bridgeAnswering(async () => ({ error: { code: 'not-found', message: '[input] not a code: text' } })))
    const err = (await refused.call('tasks.get', { connectionId: 'c', id: 'x' }).catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect([err.code, err.message, err.method]).toEqual(['not-found', '[input] not a code: text', 'tasks.get'])
  })

  it('an IPC failure (no handler in main) and a method the bridge lacks are internal errors naming the method', async () => {
    const broken = createBridgeTransport(
      bridgeAnswering(() => Promise.reject(new Error("Error invoking remote method 'swarmage:tasks.get': Error: No handler registered for 'swarmage:tasks.get'"))),
    )
    const err = (await broken.call('tasks.get', { connectionId: 'c', id: 'x' }).catch((e: unknown) => e)) as ApiError
    expect([err.code, err.message, err.method]).toEqual(['internal', "No handler registered for 'swarmage:tasks.get'", 'tasks.get'])
    const missing = (await broken.call('tasks.list', { connectionId: 'c', limit: 1 }).catch((e: unknown) => e)) as ApiError
    expect([missing.code, missing.method]).toEqual(['internal', 'tasks.list'])
    expect(missing.message).toMatch(/has no method tasks.list/)
  })
})

describe('renderer JSON and formatting helpers', () => {
  it('says where JSON is broken', () => {
    const r = parseJson('{\n  "a": 1,\n  oops\n}')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(/line 3/)
    expect(parseJson('')).toEqual({ ok: true, value: undefined })
    expect(parseJson('', { allowEmpty: false }).ok).toBe(false)
    expect(parseJson('[1]')).toEqual({ ok: true, value: [1] })
  })

  it('clips huge values for display and says how much was left out', () => {
    const text = prettyClipped({ big: 'x'.repeat(500) }, 100)
    expect(text.length).toBeLessThan(200)
    expect(text).toMatch(/… [\d,]+ more characters not shown$/)
    expect(prettyClipped(undefined)).toBe('null')
  })

  it('formats counts, durations and ages compactly', () => {
    expect(fmtCount(9999)).toBe('9999')
    expect(fmtCount(100_000)).toBe('100k')
    expect(fmtCount(12_345)).toBe('12.3k')
    expect(fmtMs(1500)).toBe('1.5 s')
    expect(fmtMs(null)).toBe('–')
    expect(fmtAgo(new Date(10_000).toISOString(), 15_000)).toBe('5 s ago')
  })
})
