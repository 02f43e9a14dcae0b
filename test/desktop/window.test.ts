// The console window's hardening, the renderer protocol and the DevTools address, with Electron's
// BrowserWindow/shell/session replaced by recorders (vi.mock: acceptable for this thin glue only).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../helpers.ts'

type Listener = (...args: any[]) => unknown

const electron = vi.hoisted(() => {
  const windows: Array<{ options: any; contents: any; loaded: string[] }> = []
  class FakeContents {
    listeners = new Map<string, Listener[]>()
    openHandler: ((details: { url: string }) => { action: string }) | undefined
    on(event: string, listener: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
      return this
    }
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      this.openHandler = handler
    }
    emit(event: string, ...args: unknown[]) {
      for (const l of this.listeners.get(event) ?? []) l(...args)
    }
  }
  class FakeBrowserWindow {
    webContents = new FakeContents()
    loaded: string[] = []
    constructor(readonly options: any) {
      windows.push({ options, contents: this.webContents, loaded: this.loaded })
    }
    once() {
      return this
    }
    loadURL(url: string) {
      this.loaded.push(url)
      return Promise.resolve()
    }
  }
  return { windows, FakeBrowserWindow, openExternal: vi.fn((_url: string) => Promise.resolve()) }
})

vi.mock('electron', () => ({
  BrowserWindow: electron.FakeBrowserWindow,
  shell: { openExternal: electron.openExternal },
}))

const { createConsoleWindow, hardenSession, CONSOLE_PARTITION } = await import('../../src/main/window.ts')
const { RENDERER_CSP_HEADER } = await import('../../src/main/csp.ts')
const { RENDERER_INDEX_URL, RENDERER_ORIGIN, resolveRendererFile, rendererRequestHandler } = await import('../../src/main/renderer-protocol.ts')
const { devtoolsUrlFor, openDevTools } = await import('../../src/main/devtools.ts')

function fakeSession() {
  const s = {
    headers: undefined as undefined | ((details: any, cb: (r: any) => void) => void),
    before: undefined as undefined | { filter: any; listener: (details: any, cb: (r: any) => void) => void },
    permissionRequest: undefined as undefined | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
    permissionCheck: undefined as undefined | (() => boolean),
    device: undefined as undefined | (() => boolean),
    webRequest: {
      onHeadersReceived: (l: any) => void (s.headers = l),
      onBeforeRequest: (filter: any, listener: any) => void (s.before = { filter, listener }),
    },
    setPermissionRequestHandler: (h: any) => void (s.permissionRequest = h),
    setPermissionCheckHandler: (h: any) => void (s.permissionCheck = h),
    setDevicePermissionHandler: (h: any) => void (s.device = h),
  }
  return s
}

describe('console window', () => {
  beforeEach(() => {
    electron.windows.length = 0
    electron.openExternal.mockClear()
  })

  it('is created isolated, sandboxed, without Node, with web security, in its own session', () => {
    createConsoleWindow({ preloadPath: '/app/out/preload/index.cjs', url: RENDERER_INDEX_URL, origin: RENDERER_ORIGIN })
    const [win] = electron.windows
    const prefs = win!.options.webPreferences
    expect(prefs.contextIsolation).toBe(true)
    expect(prefs.sandbox).toBe(true)
    expect(prefs.nodeIntegration).toBe(false)
    expect(prefs.nodeIntegrationInSubFrames).toBe(false)
    expect(prefs.webSecurity).toBe(true)
    expect(prefs.allowRunningInsecureContent).toBe(false)
    expect(prefs.webviewTag).toBe(false)
    expect(prefs.preload).toBe('/app/out/preload/index.cjs')
    expect(prefs.partition).toBe(CONSOLE_PARTITION)
    expect(win!.loaded).toEqual([RENDERER_INDEX_URL])
  })

  it('blocks navigation and window.open; only http(s) links go to the system browser', () => {
    createConsoleWindow({ preloadPath: '/p.cjs', url: RENDERER_INDEX_URL, origin: RENDERER_ORIGIN })
    const contents = electron.windows[0]!.contents
    const navigations = ['https://example.com/docs', 'file:///etc/passwd', 'javascript:alert(1)', `${RENDERER_ORIGIN}/other.html`]
    for (const url of navigations) {
      const event = { preventDefault: vi.fn() }
      contents.emit('will-navigate', event, url)
      expect(event.preventDefault).toHaveBeenCalled()
    }
    const redirect = { preventDefault: vi.fn() }
    contents.emit('will-redirect', redirect, 'https://example.com')
    expect(redirect.preventDefault).toHaveBeenCalled()
    const webview = { preventDefault: vi.fn() }
    contents.emit('will-attach-webview', webview)
    expect(webview.preventDefault).toHaveBeenCalled()
    expect(contents.openHandler({ url: 'https://example.com/x' })).toEqual({ action: 'deny' })
    expect(contents.openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(electron.openExternal.mock.calls.map((c) => c[0])).toEqual(['https://example.com/docs', 'https://example.com/x'])
  })

  it('sets a strict CSP header on every response, denies permissions, cancels remote requests', () => {
    const s = fakeSession()
    hardenSession(s as unknown as Electron.Session, { origin: RENDERER_ORIGIN })
    let result: any
    s.headers!({ responseHeaders: { 'content-security-policy': ["default-src *"], 'x-other': ['1'] } }, (r) => (result = r))
    expect(result.responseHeaders['Content-Security-Policy']).toEqual([RENDERER_CSP_HEADER])
    expect(result.responseHeaders['content-security-policy']).toBeUndefined()
    expect(result.responseHeaders['x-other']).toEqual(['1'])
    expect(RENDERER_CSP_HEADER).toMatch(/script-src 'self'(;|$)/)
    expect(RENDERER_CSP_HEADER).not.toMatch(/unsafe-eval/)
    expect(RENDERER_CSP_HEADER).toMatch(/default-src 'none'/)

    const answers: boolean[] = []
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read']) s.permissionRequest!({}, p, (ok) => answers.push(ok))
    expect(answers).toEqual([false, false, false, false])
    expect(s.permissionCheck!()).toBe(false)
    expect(s.device!()).toBe(false)

    const cancel = (url: string) => {
      let r: any
      s.before!.listener({ url }, (x) => (r = x))
      return r.cancel as boolean
    }
    expect(cancel('https://cdn.example.com/lib.js')).toBe(true)
    expect(cancel('ws://attacker.example:9229/')).toBe(true)
  })

  it('under electron-vite dev, allows only the dev server (and its HMR socket)', () => {
    const s = fakeSession()
    hardenSession(s as unknown as Electron.Session, { origin: 'http://localhost:5173' })
    const cancel = (url: string) => {
      let r: any
      s.before!.listener({ url }, (x) => (r = x))
      return r.cancel as boolean
    }
    expect(cancel('http://localhost:5173/src/main.tsx')).toBe(false)
    expect(cancel('ws://localhost:5173/')).toBe(false)
    expect(cancel('http://localhost:5174/')).toBe(true)
  })
})

describe('renderer protocol (swarmage://app)', () => {
  const tmp = tempDir('swarmage-renderer-')
  const dir = join(tmp.dir, 'renderer')
  mkdirSync(join(dir, 'assets'), { recursive: true })
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>')
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(tmp.dir, 'secret.txt'), 'not for the page')
  afterAll(() => tmp.cleanup())

  it('serves files under out/renderer with their type and the CSP header', async () => {
    const handler = rendererRequestHandler(dir)
    const index = await handler(new Request(`${RENDERER_ORIGIN}/`))
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toMatch(/text\/html/)
    expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP_HEADER)
    const js = await handler(new Request(`${RENDERER_ORIGIN}/assets/app.js`))
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect(await js.text()).toBe('console.log(1)')
  })

  it('serves nothing outside out/renderer, nor for another host', async () => {
    const handler = rendererRequestHandler(dir)
    const hostile = ['/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '/assets/../../secret.txt', '/%2e%2e%2f%2e%2e%2fsecret.txt']
    for (const path of hostile) {
      const file = resolveRendererFile(dir, `${RENDERER_ORIGIN}${path}`)
      if (file !== undefined) expect(file.startsWith(dir + '/')).toBe(true)
      const res = await handler(new Request(`${RENDERER_ORIGIN}${path}`))
      expect(res.status).toBe(404)
      expect(await res.text()).not.toContain('not for the page')
    }
    expect(resolveRendererFile(dir, 'swarmage://other/index.html')).toBeUndefined()
    expect(resolveRendererFile(dir, 'https://app/index.html')).toBeUndefined()
    expect((await handler(new Request(`${RENDERER_ORIGIN}/missing.js`))).status).toBe(404)
  })
})

describe('DevTools on a worker', () => {
  it("turns a worker's ws:// inspector address into the bundled DevTools front end", async () => {
    const ws = 'ws://127.0.0.1:9229/0f2c936f-b1cd-4ac9-aab3-f63b0f33d55e'
    expect(devtoolsUrlFor(ws)).toBe('devtools://devtools/bundled/js_app.html?ws=127.0.0.1:9229/0f2c936f-b1cd-4ac9-aab3-f63b0f33d55e')
    electron.windows.length = 0
    const opened = await openDevTools(ws)
    expect(opened.opened).toBe(true)
    expect(electron.windows[0]!.loaded).toEqual([opened.url])
  })

  it('refuses remote or malformed inspector addresses', () => {
    for (const bad of ['ws://10.0.0.5:9229/abc', 'http://127.0.0.1:9229/abc', 'ws://127.0.0.1/abc', 'not a url', 'ws://127.0.0.1.evil.example:9229/abc', 'ws://[::2]:9229/abc']) {
      expect(() => devtoolsUrlFor(bad)).toThrow(/openDevTools/)
    }
  })
})

describe('app paths', async () => {
  const { appPaths } = await import('../../src/main/paths.ts')
  it('finds the built pieces beside out/main, and the examples in resources/ (dev) or resourcesPath (packaged)', () => {
    const dev = appPaths({ isPackaged: false, appPath: '/proj', resourcesPath: '/electron/resources' }, '/proj/out/main')
    expect(dev).toEqual({
      hostPath: join('/proj/out/main', 'worker-host.js'),
      preloadPath: join('/proj/out/preload', 'index.cjs'),
      rendererDir: join('/proj/out/renderer'),
      resourcesDir: join('/proj', 'resources'),
    })
    expect(appPaths({ isPackaged: true, appPath: '/x/app.asar', resourcesPath: '/x' }, '/x/app.asar/out/main').resourcesDir).toBe('/x')
  })
})
