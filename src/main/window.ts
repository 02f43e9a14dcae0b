/**
 * The console window and its session, hardened the way Electron's security checklist asks:
 * isolated, sandboxed preload; no Node in the page; web security on; a strict CSP on every response;
 * no navigation away, no new windows, no permission prompts, no remote content. The window gets its
 * own session partition so these rules do not touch the DevTools windows (which must reach the
 * workers' inspector over ws://127.0.0.1).
 */
import { BrowserWindow, shell, type Session } from 'electron'
import { RENDERER_CSP_HEADER } from './csp.ts'

export const CONSOLE_PARTITION = 'persist:swarmage-console'

export interface WindowOptions {
  preloadPath: string
  /** What the window loads: swarmage://app/index.html, or the dev server's URL. */
  url: string
  /** Origins the page may load from (ours, and the dev server under `electron-vite dev`). */
  origin: string
  csp?: string
}

export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const

export function createConsoleWindow(options: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Swarmage',
    backgroundColor: '#101418',
    autoHideMenuBar: true,
    webPreferences: { ...WEB_PREFERENCES, preload: options.preloadPath, partition: CONSOLE_PARTITION },
  })
  guardContents(win.webContents)
  win.once('ready-to-show', () => win.show())
  void win.loadURL(options.url)
  return win
}

/** No navigation, no new windows, no <webview>: links to http(s) open in the user's browser. */
export function guardContents(contents: Electron.WebContents): void {
  const openOutside = (url: string): void => {
    if (/^https?:\/\//i.test(url)) void shell.openExternal(url)
  }
  contents.on('will-navigate', (event, url) => {
    event.preventDefault()
    openOutside(url)
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
}

/** CSP header on every response, all permissions refused, nothing fetched from outside `origin`. */
export function hardenSession(session: Session, options: Pick<WindowOptions, 'origin' | 'csp'>): void {
  const csp = options.csp ?? RENDERER_CSP_HEADER
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders }
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'content-security-policy') delete headers[key]
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [csp] } })
  })
  // Our pages come from swarmage:// (not network) or the local dev server; any other http(s)/ws
  // request is remote content and is cancelled.
  session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, callback) => {
    callback({ cancel: !isSameOrigin(details.url, options.origin) })
  })
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler(() => false)
}

function isSameOrigin(url: string, origin: string): boolean {
  try {
    const u = new URL(url)
    const o = new URL(origin)
    // The dev server's HMR socket is ws:// on the http:// origin's host and port.
    return u.host === o.host && (u.protocol === o.protocol || (o.protocol === 'http:' && u.protocol === 'ws:'))
  } catch {
    return false
  }
}
