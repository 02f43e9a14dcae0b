// The preload bridge: window.swarmage holds one function per contract method (nested by noun) and
// onPush, nothing else; no ipcRenderer, no IPC event ever reaches the page. contextBridge and
// ipcRenderer are recorders (vi.mock), the method list is the real contract's.
import { describe, expect, it, vi } from 'vitest'
import { API_METHODS, IPC_PREFIX, IPC_PUSH, type PushMessage } from '../../src/api/contract.ts'

type Listener = (event: unknown, ...args: unknown[]) => void

const fake = vi.hoisted(() => {
  const exposed: Record<string, unknown> = {}
  const listeners = new Map<string, Set<Listener>>()
  const replies = new Map<string, unknown>()
  const invoked: Array<{ channel: string; args: unknown[] }> = []
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invoked.push({ channel, args })
      return replies.get(channel) ?? { result: { echo: args[0] } }
    },
    on: (channel: string, l: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set())
      listeners.get(channel)!.add(l)
    },
    removeListener: (channel: string, l: Listener) => void listeners.get(channel)?.delete(l),
    send: () => undefined,
    sendSync: () => undefined,
  }
  return {
    exposed,
    listeners,
    replies,
    invoked,
    ipcRenderer,
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) },
  }
})

vi.mock('electron', () => ({ contextBridge: fake.contextBridge, ipcRenderer: fake.ipcRenderer }))

await import('../../src/preload/index.ts')
const bridge = fake.exposed.swarmage as Record<string, any>

describe('preload bridge', () => {
  it('exposes only window.swarmage', () => {
    expect(Object.keys(fake.exposed)).toEqual(['swarmage'])
  })

  it('holds exactly one function per contract method, nested by noun, plus onPush', () => {
    const exposedMethods: string[] = []
    for (const [noun, value] of Object.entries(bridge)) {
      if (noun === 'onPush') {
        expect(typeof value).toBe('function')
        continue
      }
      for (const [verb, fn] of Object.entries(value as Record<string, unknown>)) {
        expect(typeof fn).toBe('function')
        exposedMethods.push(`${noun}.${verb}`)
      }
    }
    expect(exposedMethods.sort()).toEqual([...API_METHODS].sort())
  })

  it('never hands out ipcRenderer or anything that can send on a chosen channel', () => {
    const seen = new Set<unknown>()
    const walk = (v: unknown): void => {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return
      seen.add(v)
      expect(v).not.toBe(fake.ipcRenderer)
      for (const key of Object.keys(v as object)) {
        expect(['invoke', 'send', 'sendSync', 'on', 'ipcRenderer', 'removeListener']).not.toContain(key)
        walk((v as Record<string, unknown>)[key])
      }
    }
    walk(bridge)
  })

  it("a method invokes swarmage:<method> with its params and resolves with main's reply as it came", async () => {
    await expect(bridge.tasks.list({ connectionId: 'embedded', limit: 5 })).resolves.toEqual({ result: { echo: { connectionId: 'embedded', limit: 5 } } })
    expect(fake.invoked.at(-1)).toEqual({ channel: `${IPC_PREFIX}tasks.list`, args: [{ connectionId: 'embedded', limit: 5 }] })
  })

  it('an { error } reply reaches the page as the same object, its code a field (no "[code] message" text to parse back)', async () => {
    const error = { code: 'not-found', message: '[input] looks like a code but is the message' }
    fake.replies.set(`${IPC_PREFIX}tasks.get`, { error })
    await expect(bridge.tasks.get({ connectionId: 'embedded', id: '42' })).resolves.toEqual({ error })
  })

  it('a reply that is neither { result } nor { error } becomes an internal { error } naming the method', async () => {
    fake.replies.set(`${IPC_PREFIX}tasks.cancel`, { ok: true })
    await expect(bridge.tasks.cancel({ connectionId: 'embedded', id: '42' })).resolves.toEqual({
      error: { code: 'internal', message: 'tasks.cancel: the app answered with no result' },
    })
  })

  it('onPush delivers each message of a batch, without the IPC event, until unsubscribed', () => {
    const got: unknown[][] = []
    const unsubscribe = bridge.onPush((...args: unknown[]) => got.push(args))
    const batch: PushMessage[] = [
      { channel: 'notice', level: 'info', message: 'a' },
      { channel: 'drones', drones: [] },
    ]
    const senderEvent = { sender: fake.ipcRenderer }
    for (const l of fake.listeners.get(IPC_PUSH) ?? []) l(senderEvent, batch)
    expect(got).toEqual([[batch[0]], [batch[1]]])
    unsubscribe()
    for (const l of fake.listeners.get(IPC_PUSH) ?? []) l(senderEvent, batch)
    expect(got).toHaveLength(2)
    expect(fake.listeners.get(IPC_PUSH)?.size).toBe(0)
  })
})
