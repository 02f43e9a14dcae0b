/**
 * `swarmage console`'s server: the built renderer (static files), `GET /api/health`, and the console
 * API over a WebSocket at `/ws` with JSON frames (contract.ts `ConsoleClientFrame` / `ConsoleServerFrame`).
 *
 * Security:
 * - `GET /metrics` (Prometheus text, src/metrics) sits behind the same token as /api: Prometheus
 *   sends it as `authorization: { credentials_file: … }` (a Bearer header).
 * - Binds 127.0.0.1 by default. Every address, loopback included, requires an access token (given,
 *   or 24 random bytes per start), printed once in the URL's fragment (`#token=…`, never sent to a
 *   server or a Referer); the page passes it as `/ws?token=…`. /api and /ws answer 401 without it
 *   (compared in constant time; 10 wrong tokens a minute from one address get 429); the static shell
 *   holds no data and is served to anyone who can reach it. `noToken` is accepted on loopback only.
 * - The WebSocket refuses (403) an Origin other than the server's own: another web page in the
 *   user's browser cannot drive the console. Without a token, the Host header must be a loopback
 *   name, so a DNS-rebinding page cannot reach a loopback console either.
 * - The HTML carries a strict CSP (no inline or remote script, connections only to this origin,
 *   no framing). Responses and logs never contain the token (but for the one startup line) or
 *   passwords; errors reach clients as one-line ApiErrorShape messages, never stacks.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { ApiErrorShape, PushMessage } from '../api/contract.ts'
import { ApiError, toApiError } from '../api/errors.ts'
import { PushBatcher } from '../api/push-batcher.ts'
import type { SwarmageMetrics } from '../metrics/metrics.ts'
import { serveMetrics } from '../metrics/server.ts'

/** What the server needs of the ConsoleService. */
export interface ConsoleBackend {
  handle(method: string, rawParams: unknown): Promise<unknown>
  subscribe(listener: (m: PushMessage) => void): () => void
}

export interface ConsoleServerOptions {
  service: ConsoleBackend
  /** Default 127.0.0.1. Anything not loopback requires a token (one is generated if none is given). */
  host?: string
  /** Default 7777; 0 picks a free port. */
  port?: number
  token?: string
  /** No token at all: refused unless `host` is loopback (then the Host header must be a loopback name). */
  noToken?: boolean
  /** The built renderer (`out/renderer` after `npm run build`). */
  staticDir: string
  /** One line per notable event; default stderr. Never given secrets. */
  log?: (line: string) => void
  /** Served at GET /metrics (Prometheus), behind the token like /api (a Bearer header or ?token=). */
  metrics?: SwarmageMetrics
}

export interface ConsoleServer {
  /** What to open in a browser: with `#token=…` when a token is required. */
  url: string
  port: number
  token: string | null
  close(): Promise<void>
}

/** Largest client frame: a payload may be 1 MiB serialized, plus the envelope. */
const MAX_FRAME_BYTES = 2 * 1024 * 1024
/** Dead sockets (a laptop lid closed) are found and dropped by ping within this. */
const PING_MS = 30_000
/** Calls one socket may have unanswered at once; more get a `busy` input error at once. */
export const MAX_IN_FLIGHT = 64
/** Sockets from one client address, and in all: more are refused (503). */
export const MAX_SOCKETS_PER_CLIENT = 32
export const MAX_SOCKETS = 256
/** A socket whose unsent replies stay above this (it reads nothing) is closed, not buffered without end. */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024
const BAD_TOKEN_LIMIT = 10
const BAD_TOKEN_WINDOW_MS = 60_000
const HOST_RE = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1'
}

/** The CSP of the console page: the renderer's policy (src/main/csp.ts) with this server's WebSocket origin. */
export function consoleCsp(host: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // React style props and uPlot set element styles; no inline <script> is ever allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ws://${host} wss://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** A WebSocket's send buffer above this holds its pushes (merged in place) until it drains. */
export const HIGH_WATER_BYTES = 1024 * 1024

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const loopback = isLoopbackHost(host)
  if (options.noToken && !loopback) throw new ApiError('input', `--no-token is allowed on a loopback address only, not on ${host}`)
  // A token on every address, loopback included: any local user or process could otherwise drive it, and it runs code.
  const token = options.noToken ? null : (options.token ?? randomBytes(24).toString('base64url'))
  const tokenBytes = token === null ? null : Buffer.from(token)
  /** Bad tokens per client address: after BAD_TOKEN_LIMIT in BAD_TOKEN_WINDOW_MS, refused (429) until the window passes. */
  const badTokens = new Map<string, { count: number; since: number }>()
  const throttled = (req: IncomingMessage): boolean => {
    const e = badTokens.get(req.socket.remoteAddress ?? '')
    if (!e) return false
    if (Date.now() - e.since > BAD_TOKEN_WINDOW_MS) {
      badTokens.delete(req.socket.remoteAddress ?? '')
      return false
    }
    return e.count >= BAD_TOKEN_LIMIT
  }
  const noteBadToken = (req: IncomingMessage): void => {
    const key = req.socket.remoteAddress ?? ''
    const e = badTokens.get(key)
    if (!e || Date.now() - e.since > BAD_TOKEN_WINDOW_MS) badTokens.set(key, { count: 1, since: Date.now() })
    else e.count++
    if (badTokens.size > 10_000) badTokens.clear()
  }
  const staticDir = resolve(options.staticDir)
  const indexFile = join(staticDir, 'index.html')
  if (!existsSync(indexFile)) log(`swarmage console: the web console is not built (${indexFile} is missing): run \`npm run build\``)

  const tokenOk = (given: string | null | undefined): boolean => {
    if (tokenBytes === null) return true
    if (typeof given !== 'string') return false
    const b = Buffer.from(given)
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes)
  }
  /** Without a token, only loopback Host names (DNS rebinding); with one, the token decides. */
  const hostOk = (req: IncomingMessage): boolean => {
    if (tokenBytes !== null) return true
    const h = req.headers.host
    if (!h) return false
    return isLoopbackHost(h.replace(/:\d+$/, ''))
  }
  const originOk = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin
    // Browsers always send Origin on WebSocket and cross-origin requests; other clients are not web pages.
    if (origin === undefined) return true
    return origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`
  }
  const requestToken = (req: IncomingMessage, url: URL): string | null => {
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) return auth.slice(7)
    return url.searchParams.get('token')
  }

  const server = createServer((req, res) => {
    try {
      route(req, res)
    } catch (err) {
      log(`swarmage console: ${toApiError(err).message}`)
      if (!res.headersSent) plain(res, 500, 'internal error')
      else res.destroy()
    }
  })

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost')
    // The Host header goes into the CSP and Origin checks: only a plain host[:port] is accepted.
    if (req.headers.host !== undefined && !HOST_RE.test(req.headers.host)) return plain(res, 400, 'bad Host header')
    if (!hostOk(req)) return plain(res, 403, 'forbidden: unexpected Host header')
    const metrics = url.pathname === '/metrics' ? options.metrics : undefined
    if (url.pathname === '/api' || url.pathname.startsWith('/api/') || metrics) {
      if (!originOk(req)) return plain(res, 403, 'forbidden: cross-origin request')
      if (throttled(req)) return plain(res, 429, 'too many requests with a wrong access token: wait a minute')
      if (!tokenOk(requestToken(req, url))) {
        noteBadToken(req)
        return plain(res, 401, 'unauthorized: the access token is missing or wrong')
      }
      if (url.pathname === '/api/health' && (req.method === 'GET' || req.method === 'HEAD')) {
        return json(res, 200, { ok: true })
      }
      // The token guards it like the API: type names and drone names are the operator's business.
      if (metrics) return void serveMetrics(metrics, req, res)
      return plain(res, 404, 'not found')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed')
    serveStatic(req, res, url.pathname)
  }

  function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    let rel: string
    try {
      rel = decodeURIComponent(pathname)
    } catch {
      return plain(res, 400, 'bad path')
    }
    let file = normalize(join(staticDir, rel))
    if (file !== staticDir && !file.startsWith(staticDir + sep)) return plain(res, 404, 'not found')
    if (!existsSync(file) || statSync(file).isDirectory()) {
      // Paths without an extension are the app's own routes: they get the shell.
      if (extname(rel) !== '' && rel !== '/') return plain(res, 404, 'not found')
      file = indexFile
    }
    const reqHost = req.headers.host ?? `${displayHost(host)}:${port}`
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream'
    const headers: Record<string, string> = {
      'Content-Type': type,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    }
    if (file === indexFile) {
      if (!existsSync(indexFile)) return notBuilt(res, reqHost)
      Object.assign(headers, { 'Content-Security-Policy': consoleCsp(reqHost), 'X-Frame-Options': 'DENY', 'Cache-Control': 'no-store' })
    } else headers['Cache-Control'] = 'no-cache'
    res.writeHead(200, headers)
    if (req.method === 'HEAD') return void res.end()
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res)
  }

  function notBuilt(res: ServerResponse, host: string): void {
    res.writeHead(503, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': consoleCsp(host),
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    })
    res.end(
      '<!doctype html><meta charset="utf-8"><title>Swarmage console: not built</title>' +
        '<h1>The Swarmage web console is not built</h1>' +
        '<p>Run <code>npm run build</code> in the swarmage package, then reload this page.</p>' +
        '<p>The server and its API are running; only the web files are missing.</p>',
    )
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`)
    }
    if (url.pathname !== '/ws') return refuse(404, 'Not Found')
    if (req.headers.host !== undefined && !HOST_RE.test(req.headers.host)) return refuse(400, 'Bad Request')
    if (!hostOk(req)) return refuse(403, 'Forbidden')
    if (!originOk(req)) return refuse(403, 'Forbidden')
    if (throttled(req)) return refuse(429, 'Too Many Requests')
    if (!tokenOk(url.searchParams.get('token'))) {
      noteBadToken(req)
      return refuse(401, 'Unauthorized')
    }
    const client = req.socket.remoteAddress ?? ''
    if (sockets.size >= MAX_SOCKETS || (perClient.get(client) ?? 0) >= MAX_SOCKETS_PER_CLIENT) return refuse(503, 'Service Unavailable')
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, client))
  })

  const sockets = new Set<WebSocket>()
  const perClient = new Map<string, number>()
  const inFlight = new WeakMap<WebSocket, number>()
  function onSocket(ws: WebSocket, client: string): void {
    sockets.add(ws)
    perClient.set(client, (perClient.get(client) ?? 0) + 1)
    // A slow client (send buffer above HIGH_WATER_BYTES) is held: pushes merge in place, never queue.
    const batcher = new PushBatcher({
      send: (messages) => {
        for (const m of messages) ws.send(JSON.stringify({ push: m }))
      },
      held: () => ws.bufferedAmount > HIGH_WATER_BYTES,
    })
    const unsubscribe = options.service.subscribe((m) => batcher.push(m))
    let alive = true
    ws.on('pong', () => (alive = true))
    const ping = setInterval(() => {
      if (!alive) return ws.terminate()
      alive = false
      ws.ping()
    }, PING_MS)
    ping.unref()
    ws.on('message', (data, isBinary) => void onFrame(ws, isBinary ? null : data.toString()))
    ws.on('close', () => {
      sockets.delete(ws)
      const n = (perClient.get(client) ?? 1) - 1
      if (n <= 0) perClient.delete(client)
      else perClient.set(client, n)
      clearInterval(ping)
      batcher.stop()
      unsubscribe()
    })
    ws.on('error', () => ws.terminate())
  }

  function reply(ws: WebSocket, frame: unknown): void {
    if (ws.readyState !== ws.OPEN) return
    ws.send(JSON.stringify(frame))
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.terminate()
  }

  async function onFrame(ws: WebSocket, text: string | null): Promise<void> {
    let id: number | string | null = null
    let error: ApiErrorShape
    let counted = false
    try {
      const frame = parseFrame(text)
      id = frame.id
      const n = inFlight.get(ws) ?? 0
      if (n >= MAX_IN_FLIGHT) throw new ApiError('input', `busy: ${MAX_IN_FLIGHT} calls of this connection are still unanswered; wait for them`)
      inFlight.set(ws, n + 1)
      counted = true
      const result = await options.service.handle(frame.method, frame.params)
      reply(ws, { id, result: result ?? null })
      return
    } catch (err) {
      error = toApiError(err)
    } finally {
      if (counted) inFlight.set(ws, (inFlight.get(ws) ?? 1) - 1)
    }
    if (error.code === 'internal') log(`swarmage console: ${error.message}`)
    reply(ws, { id, error })
  }

  let port = options.port ?? 7777
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  port = (server.address() as AddressInfo).port
  const shownHost = displayHost(host)
  const url = `http://${shownHost}:${port}/${token === null ? '' : `#token=${token}`}`

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    token,
    close: () =>
      (closing ??= new Promise<void>((resolveClose) => {
        for (const ws of sockets) ws.close(1001, 'the console server is stopping')
        wss.close()
        server.close(() => resolveClose())
        // Keep-alive HTTP connections would hold close() open until they time out.
        server.closeAllConnections()
        for (const ws of sockets) ws.terminate()
      })),
  }
}

function parseFrame(text: string | null): { id: number | string; method: string; params: unknown } {
  if (text === null) throw new ApiError('input', 'frames are JSON text: {"id", "method", "params"}')
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    throw new ApiError('input', 'the frame is not valid JSON')
  }
  const f = frame as { id?: unknown; method?: unknown; params?: unknown } | null
  if (!f || typeof f !== 'object') throw new ApiError('input', 'a frame is an object {"id", "method", "params"}')
  if (typeof f.id !== 'number' && typeof f.id !== 'string') throw new ApiError('input', 'id: expected a number or a string')
  if (typeof f.method !== 'string') throw new ApiError('input', 'method: expected a string')
  return { id: f.id, method: f.method, params: f.params ?? {} }
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') {
    for (const addrs of Object.values(networkInterfaces())) {
      for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
    }
    return '127.0.0.1'
  }
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' })
  res.end(text)
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(body))
}
