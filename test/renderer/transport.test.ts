import { describe, expect, it } from 'vitest'
import { parseJson, prettyClipped } from '../../src/renderer/src/lib/json.ts'
import { ApiError, fixHint, toApiError } from '../../src/renderer/src/transport/errors.ts'
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

  it('reads the error code back from every transport shape', () => {
    expect(toApiError(new Error('[schema] the schema is missing')).code).toBe('schema')
    expect(toApiError(new Error('[schema] the schema is missing')).message).toBe('the schema is missing')
    const ipc = toApiError(new Error("Error invoking remote method 'swarmage:tasks.get': Error: [not-found] no task with id x"))
    expect([ipc.code, ipc.message]).toEqual(['not-found', 'no task with id x'])
    expect(toApiError({ code: 'input', message: 'type: bad' }).code).toBe('input')
    expect(toApiError(new Error('{"code":"forbidden","message":"no"}')).code).toBe('forbidden')
    expect(toApiError('plain').code).toBe('internal')
    const e = new ApiError('transport', 'gone')
    expect(toApiError(e)).toBe(e)
    expect(fixHint('schema')).toContain('Migrate')
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
