import type { ApiMethod, ApiParams, ApiResults, ConsoleClientFrame, ConsoleServerFrame, PushMessage, SwarmageApi } from '../../../api/contract.ts'
import { ApiError } from './errors.ts'
import { useTransportStatus } from './status.ts'


interface Pending {
  method: string
  resolve: (value: unknown) => void
  reject: (err: Error) => void
}

/** Backoff: 250 ms doubling to 5 s, ±20 % jitter so many tabs do not reconnect in step. */
export function backoffMs(attempt: number): number {
  const base = Math.min(5000, 250 * 2 ** Math.min(attempt, 5))
  return Math.round(base * (0.8 + Math.random() * 0.4))
}

/** How long a call made while disconnected waits for the socket before failing. */
const WAIT_OPEN_MS = 10_000

export interface WebSocketTransportOptions {
  url: string
}

/** The browser transport: one WebSocket to the console server, reconnecting with backoff. */
export function createWebSocketTransport({ url }: WebSocketTransportOptions): SwarmageApi {
  const listeners = new Set<(m: PushMessage) => void>()
  const pending = new Map<number, Pending>()
  let waiting: Array<() => void> = []
  let socket: WebSocket | null = null
  let nextId = 1
  let attempt = 0
  const status = useTransportStatus

  function connect(): void {
    status.setState({ kind: 'websocket', state: 'connecting', retryAt: null })
    const ws = new WebSocket(url)
    socket = ws
    ws.onopen = () => {
      attempt = 0
      status.setState((s) => ({ state: 'open', attempt: 0, retryAt: null, lastError: null, opens: s.opens + 1 }))
      const ready = waiting
      waiting = []
      for (const go of ready) go()
    }
    ws.onmessage = (ev) => onFrame(ev.data)
    ws.onclose = (ev) => {
      socket = null
      const reason = closeReason(ev)
      for (const [id, p] of pending) {
        pending.delete(id)
        p.reject(new ApiError('transport', `the console server connection closed before ${p.method} answered (${reason}); it reconnects by itself, then try again`, p.method))
      }
      attempt += 1
      const delay = backoffMs(attempt)
      status.setState({ state: 'closed', attempt, retryAt: Date.now() + delay, lastError: reason })
      setTimeout(connect, delay)
      // A refused upgrade (401/403) reaches the page only as code 1006: ask the server why, over HTTP.
      if (ev.code === 1006) void diagnose(url).then((why) => why && status.getState().state !== 'open' && status.setState({ lastError: why }))
    }
  }

  function onFrame(data: unknown): void {
    if (typeof data !== 'string') return
    let frame: ConsoleServerFrame
    try {
      frame = JSON.parse(data) as ConsoleServerFrame
    } catch {
      return
    }
    if ('push' in frame) {
      for (const l of listeners) l(frame.push)
      return
    }
    // An error frame with id null answers a frame the server could not read: no call waits for it.
    if (typeof frame.id !== 'number') return
    const p = pending.get(frame.id)
    if (!p) return
    pending.delete(frame.id)
    if ('error' in frame) p.reject(new ApiError(frame.error.code, frame.error.message, p.method))
    else p.resolve(frame.result)
  }

  function whenOpen(method: string): Promise<void> {
    if (socket?.readyState === WebSocket.OPEN) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = waiting.filter((w) => w !== go)
        reject(new ApiError('transport', `not connected to the console server after ${WAIT_OPEN_MS / 1000} s (${status.getState().lastError ?? 'no answer'})`, method))
      }, WAIT_OPEN_MS)
      const go = (): void => {
        clearTimeout(timer)
        resolve()
      }
      waiting.push(go)
    })
  }

  connect()
  return {
    async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResults[M]> {
      await whenOpen(method)
      const id = nextId++
      return new Promise<ApiResults[M]>((resolve, reject) => {
        const ws = socket
        if (ws?.readyState !== WebSocket.OPEN) {
          reject(new ApiError('transport', `the console server connection closed before ${method} was sent; it reconnects by itself, then try again`, method))
          return
        }
        pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject })
        const out: ConsoleClientFrame = { id, method, params }
        ws.send(JSON.stringify(out))
      })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

function closeReason(ev: CloseEvent): string {
  if (ev.code === 1006) return 'no answer from the server (code 1006)'
  if (ev.code === 4401 || ev.code === 1008) return `refused: ${ev.reason || 'the access token is missing or wrong'} (code ${ev.code})`
  return `${ev.reason || 'closed'} (code ${ev.code})`
}

/** Turns a bare 1006 into a reason: the health endpoint answers 401 for a wrong token, 403 for a foreign origin. */
async function diagnose(wsUrl: string): Promise<string | null> {
  const u = new URL(wsUrl)
  const http = `${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}/api/health${u.search}`
  try {
    const res = await fetch(http, { cache: 'no-store' })
    if (res.status === 401) return 'refused: the access token is missing or wrong — open the address `swarmage console` printed (it ends in #token=…)'
    if (res.status === 403) return `refused by the server: ${await res.text()}`
    return null
  } catch {
    return 'the console server does not answer: is `swarmage console` (or the app) still running?'
  }
}

/** The token in the page's address: `#token=…` (what `swarmage console` prints), after a route (`#/tasks/ID?token=…`) or `?token=…`. */
export function tokenInAddress(loc: Pick<Location, 'hash' | 'search'>): string | null {
  return new URLSearchParams(splitHash(loc.hash).query).get('token') ?? new URLSearchParams(loc.search).get('token')
}

/** A hash is a route (`#/view/ID`, router/routes.ts) with an optional `?query`, or a bare query (`#token=…`). */
function splitHash(hash: string): { route: string; query: string } {
  const h = hash.replace(/^#/, '')
  if (!h.startsWith('/')) return { route: '', query: h }
  const q = h.indexOf('?')
  return q < 0 ? { route: h, query: '' } : { route: h.slice(0, q), query: h.slice(q + 1) }
}

/**
 * Takes the token out of the address bar (and so out of history and bookmarks) with replaceState,
 * keeping it in sessionStorage for reloads of this tab and in memory for reconnects.
 */
export function takeToken(win: Pick<Window, 'location' | 'history' | 'sessionStorage'>): string | null {
  const KEY = 'swarmage.consoleToken'
  const found = tokenInAddress(win.location)
  let storage: Storage | null = null
  try {
    storage = win.sessionStorage
  } catch {
    // storage disabled: the token lives in memory only
  }
  if (found !== null) {
    storage?.setItem(KEY, found)
    const u = new URL(win.location.href)
    u.searchParams.delete('token')
    // The route (`#/tasks/ID?connection=…`) stays as it was: only the token leaves the address.
    const { route, query } = splitHash(u.hash)
    const rest = new URLSearchParams(query)
    rest.delete('token')
    const left = rest.toString()
    u.hash = route ? `${route}${left ? `?${left}` : ''}` : left
    win.history.replaceState(win.history.state, '', u.pathname + u.search + u.hash)
    return found
  }
  return storage?.getItem(KEY) ?? null
}

/** ws(s)://same-origin/ws?token=… with the token taken from `#token=…` (or given). */
export function socketUrl(loc: Pick<Location, 'protocol' | 'host' | 'hash'> & Partial<Pick<Location, 'search'>>, given?: string | null): string {
  const token = given ?? tokenInAddress({ hash: loc.hash, search: loc.search ?? '' })
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${loc.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`
}
