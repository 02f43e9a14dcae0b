// The IPC routes of the main process: every contract method registered, the sender and the payload
// checked before anything runs, results and errors returned as values. The service behind the routes
// is the real ConsoleService on a temp folder (real SQLite); only Electron's objects are stand-ins.
import type { IpcMainInvokeEvent } from 'electron'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { API_METHODS, IPC_PREFIX, type ApiErrorShape } from '../../src/api/contract.ts'
import { ConsoleService } from '../../src/api/service.ts'
import type { IpcReply } from '../../src/api/contract.ts'
import { registerApiRoutes, senderCheck } from '../../src/main/ipc-router.ts'
import { RENDERER_INDEX_URL, RENDERER_ORIGIN } from '../../src/main/renderer-protocol.ts'
import { tempDir } from '../helpers.ts'

// The router only imports Electron's types; the mock proves no runtime import sneaks in.
vi.mock('electron', () => {
  throw new Error('the IPC router must not load electron at run time')
})

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown

function fakeIpcMain() {
  const handlers = new Map<string, Handler>()
  return {
    handlers,
    handle: (channel: string, listener: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`)
      handlers.set(channel, listener)
    },
    removeHandler: (channel: string) => void handlers.delete(channel),
  }
}

interface FakeFrame {
  url: string
  parent: FakeFrame | null
  processId: number
  frameToken: string
  detached: boolean
}

let tokens = 0
function frame(url: string, parent: FakeFrame | null = null, processId = 7): FakeFrame {
  return { url, parent, processId, frameToken: `frame-${++tokens}`, detached: false }
}

/** Our window: a webContents whose main frame shows `url`. */
function fakeWindow(url = RENDERER_INDEX_URL) {
  const mainFrame = frame(url)
  const webContents = { mainFrame }
  return { webContents, mainFrame }
}

function eventFrom(sender: unknown, senderFrame: FakeFrame | null): IpcMainInvokeEvent {
  return { sender, senderFrame } as unknown as IpcMainInvokeEvent
}

async function invoke(ipc: ReturnType<typeof fakeIpcMain>, method: string, event: IpcMainInvokeEvent, params: unknown): Promise<IpcReply> {
  const handler = ipc.handlers.get(IPC_PREFIX + method)
  if (!handler) throw new Error(`no handler for ${method}`)
  return (await handler(event, params)) as IpcReply
}

function errorOf(reply: IpcReply): ApiErrorShape {
  if (!('error' in reply)) throw new Error(`expected an error, got ${JSON.stringify(reply)}`)
  return reply.error
}

describe('IPC router', () => {
  const tmp = tempDir('swarmage-ipc-')
  let service: ConsoleService
  const ipc = fakeIpcMain()
  const win = fakeWindow()
  const calls: string[] = []
  const warnings: string[] = []
  let unregister: () => void

  beforeAll(async () => {
    service = new ConsoleService({ dataDir: tmp.dir, mode: 'desktop', seedExamples: false, autostart: false })
    await service.start()
    unregister = registerApiRoutes({
      ipcMain: ipc,
      service: {
        handle: (method, params, actor) => {
          calls.push(method)
          return service.handle(method, params, actor)
        },
      },
      isTrustedSender: senderCheck({ webContents: () => win.webContents as unknown as Electron.WebContents, origin: RENDERER_ORIGIN }),
      warn: (m) => warnings.push(m),
    })
  })

  afterAll(async () => {
    await service.stop()
    tmp.cleanup()
  })

  it('registers one swarmage:<method> handler for every contract method, and nothing else', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(API_METHODS.map((m) => IPC_PREFIX + m).sort())
    expect(ipc.handlers.size).toBe(API_METHODS.length)
  })

  it('an action through IPC is in the activity list as ipc', async () => {
    const reply = await invoke(ipc, 'tasks.demo', eventFrom(win.webContents, win.mainFrame), { connectionId: 'embedded', count: 2 })
    expect(reply).toEqual({ result: { ids: 2 } })
    const lines = await service.call('activity.list', {})
    expect(lines.map((e) => [e.who, e.action])).toContainEqual(['ipc', 'tasks.demo'])
  })

  it('a valid call from our window reaches the real service and returns its result as a value', async () => {
    const reply = await invoke(ipc, 'app.info', eventFrom(win.webContents, win.mainFrame), {})
    expect(reply).toHaveProperty('result')
    const info = (reply as { result: { mode: string; dataDir: string } }).result
    expect(info.mode).toBe('desktop')
    expect(info.dataDir).toBe(tmp.dir)
    // a distinct wrapper object for the same frame (same process and frame token) is still our frame
    const sameFrame = { ...win.mainFrame }
    const list = await invoke(ipc, 'connections.list', eventFrom(win.webContents, sameFrame), {})
    expect((list as { result: Array<{ builtin: boolean }> }).result.some((c) => c.builtin)).toBe(true)
  })

  it("a service failure comes back as { error: { code, message } }, not a rejection", async () => {
    const reply = await invoke(ipc, 'tasks.get', eventFrom(win.webContents, win.mainFrame), { connectionId: 'no-such-connection', id: 'x' })
    const error = errorOf(reply)
    expect(['not-found', 'input']).toContain(error.code)
    expect(error.message).toMatch(/no-such-connection|connection/i)
  })

  it('refuses a subframe of our window, a foreign URL, another webContents and a frameless sender', async () => {
    const before = calls.length
    const subframe = frame(RENDERER_INDEX_URL, win.mainFrame)
    const foreignPage = fakeWindow('https://evil.example/index.html')
    const fileUrl = frame('file:///work/main/out/renderer/index.html')
    // another top-level frame in our webContents' process that is not its main frame (e.g. a stale one)
    const otherTop = frame(RENDERER_INDEX_URL)
    const cases: IpcMainInvokeEvent[] = [
      eventFrom(win.webContents, subframe),
      eventFrom(foreignPage.webContents, foreignPage.mainFrame),
      eventFrom({ mainFrame: fileUrl }, fileUrl),
      eventFrom(win.webContents, null),
      eventFrom(win.webContents, otherTop),
    ]
    for (const event of cases) {
      const error = errorOf(await invoke(ipc, 'app.info', event, {}))
      expect(error.code).toBe('forbidden')
    }
    // Our own window, navigated away from our origin (navigation is blocked, but if it happened):
    win.mainFrame.url = 'https://evil.example/'
    try {
      expect(errorOf(await invoke(ipc, 'connections.list', eventFrom(win.webContents, win.mainFrame), {})).code).toBe('forbidden')
    } finally {
      win.mainFrame.url = RENDERER_INDEX_URL
    }
    expect(calls.length).toBe(before)
    expect(warnings.length).toBeGreaterThanOrEqual(6)
    expect(warnings.join('\n')).toMatch(/evil\.example/)
  })

  it("refuses a malformed payload with code 'input' naming the field, before the service runs", async () => {
    const before = calls.length
    const event = eventFrom(win.webContents, win.mainFrame)
    const bad = errorOf(await invoke(ipc, 'tasks.list', event, { connectionId: 'embedded', limit: 'lots' }))
    expect(bad.code).toBe('input')
    expect(bad.message).toMatch(/tasks\.list/)
    expect(bad.message).toMatch(/limit/)
    const extra = errorOf(await invoke(ipc, 'app.info', event, { sneaky: true }))
    expect(extra.code).toBe('input')
    const notObject = errorOf(await invoke(ipc, 'drones.stop', event, 'stop everything'))
    expect(notObject.code).toBe('input')
    expect(calls.length).toBe(before)
  })

  it('unregisters every handler', () => {
    unregister()
    expect(ipc.handlers.size).toBe(0)
  })
})
