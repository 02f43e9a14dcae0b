/**
 * The console's HTTP + WebSocket server in front of a real ConsoleService: the API round trip,
 * errors, pushes, the static shell and its headers, and the security checks (token, Origin, Host).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ConsoleServerFrame, PushMessage } from '../../src/api/contract.ts'
import { ConsoleService } from '../../src/api/service.ts'
import { MAX_IN_FLIGHT, MAX_SOCKETS_PER_CLIENT, startConsoleServer, type ConsoleBackend, type ConsoleServer } from '../../src/console/server.ts'
import { tempDir, until } from '../helpers.ts'

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
let server: ConsoleServer
let staticDir: string
const logs: string[] = []

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens a socket; resolves with it, or rejects with the HTTP status of a refused upgrade. */
function connect(port: number, query = '', headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

class Client {
  private nextId = 1
  readonly pushes: PushMessage[] = []
  private readonly replies = new Map<number | string | null, ConsoleServerFrame>()
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ConsoleServerFrame
      if ('push' in frame) this.pushes.push(frame.push)
      else this.replies.set(frame.id, frame)
    })
  }
  async call(method: string, params: unknown): Promise<ConsoleServerFrame> {
    const id = this.nextId++
    this.ws.send(JSON.stringify({ id, method, params }))
    await until(() => this.replies.has(id), 10_000, `reply to ${method}`)
    return this.replies.get(id)!
  }
  async raw(text: string): Promise<ConsoleServerFrame> {
    this.ws.send(text)
    await until(() => this.replies.has(null), 10_000, 'reply to a bad frame')
    return this.replies.get(null)!
  }
}

beforeAll(async () => {
  tmp = tempDir('swarmage-console-server-')
  staticDir = join(tmp.dir, 'renderer')
  mkdirSync(join(staticDir, 'assets'), { recursive: true })
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/assets/app.js"></script>')
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("hi")')
  writeFileSync(join(tmp.dir, 'secret.txt'), 'outside the static folder')
  service = new ConsoleService({ dataDir: join(tmp.dir, 'data'), mode: 'browser', seedExamples: false })
  await service.start()
  // --no-token on loopback: the shell, frames and push tests below need no token; the token tests are further down.
  server = await startConsoleServer({ service, port: 0, staticDir, noToken: true, log: (l) => logs.push(l) })
})

afterAll(async () => {
  await server.close()
  await service.stop()
  tmp.cleanup()
})

describe('console server on loopback', () => {
  it('binds 127.0.0.1 (here with noToken)', () => {
    expect(server.token).toBeNull()
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`)
  })

  it('serves the shell with a strict CSP and the static files', async () => {
    const page = await get(server.port, '/')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>console</title>')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    const js = await get(server.port, '/assets/app.js')
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toMatch(/text\/javascript/)
    // An app route gets the shell; a missing asset does not; nothing outside the folder is reachable.
    expect((await get(server.port, '/tasks')).body).toContain('<title>console</title>')
    expect((await get(server.port, '/assets/missing.js')).status).toBe(404)
    const escape = await get(server.port, '/%2e%2e/secret.txt')
    expect(escape.status).toBe(404)
    expect(escape.body).not.toContain('outside')
  })

  it('answers /api/health, and refuses a foreign Host header (DNS rebinding)', async () => {
    const health = await get(server.port, '/api/health')
    expect(health.status).toBe(200)
    expect(JSON.parse(health.body)).toEqual({ ok: true })
    expect((await get(server.port, '/api/health', { Host: `attacker.example:${server.port}` })).status).toBe(403)
    await expect(connect(server.port, '', { Host: `attacker.example:${server.port}` })).rejects.toThrow('HTTP 403')
  })

  it('round-trips calls over the WebSocket, with input errors for bad params and frames', async () => {
    const client = new Client(await connect(server.port, '', { Origin: `http://127.0.0.1:${server.port}` }))
    try {
      const info = await client.call('app.info', {})
      expect(info).toMatchObject({ id: 1, result: { mode: 'browser' } })
      const bad = await client.call('tasks.list', { connectionId: 'embedded', limit: 'ten' })
      expect('error' in bad && bad.error.code).toBe('input')
      expect('error' in bad && bad.error.message).toMatch(/limit/)
      const unknown = await client.call('nope.nothing', {})
      expect('error' in unknown && unknown.error.code).toBe('input')
      const notFound = await client.call('tasks.get', { connectionId: 'embedded', id: 'missing' })
      expect('error' in notFound && notFound.error).toEqual({ code: 'not-found', message: 'no task with id missing' })
      const garbage = await client.raw('{not json')
      expect('error' in garbage && garbage.error.code).toBe('input')
      // Pushes arrive as {push} frames: saving a definition pushes the definitions.
      writeFileSync(join(tmp.dir, 'w.mjs'), 'export default () => 1\n')
      await client.call('workers.save', { type: 'w', module: join(tmp.dir, 'w.mjs'), watch: false })
      await until(() => client.pushes.some((p) => p.channel === 'worker-definitions' && p.definitions.some((d) => d.type === 'w')), 5_000, 'the push')
    } finally {
      client.ws.close()
    }
  })

  it('refuses a WebSocket from another origin with 403', async () => {
    await expect(connect(server.port, '', { Origin: 'http://evil.example' })).rejects.toThrow('HTTP 403')
    await expect(connect(server.port, '', { Origin: `http://localhost:${server.port + 1}` })).rejects.toThrow('HTTP 403')
  })
})

describe('console server on loopback with its default token', () => {
  let tokened: ConsoleServer
  beforeAll(async () => {
    tokened = await startConsoleServer({ service, port: 0, staticDir, log: (l) => logs.push(l) })
  })
  afterAll(() => tokened.close())

  it('requires a token on loopback too: HTTP and WebSocket refuse requests without it, with and without Origin', async () => {
    expect(tokened.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(tokened.url).toBe(`http://127.0.0.1:${tokened.port}/#token=${tokened.token}`)
    const own = { Origin: `http://127.0.0.1:${tokened.port}` }
    expect((await get(tokened.port, '/api/health')).status).toBe(401)
    expect((await get(tokened.port, '/api/health', own)).status).toBe(401)
    await expect(connect(tokened.port)).rejects.toThrow('HTTP 401')
    await expect(connect(tokened.port, '', own)).rejects.toThrow('HTTP 401')
    const client = new Client(await connect(tokened.port, `?token=${tokened.token}`, own))
    try {
      expect(await client.call('app.info', {})).toMatchObject({ result: { mode: 'browser' } })
    } finally {
      client.ws.close()
    }
  })

  it('refuses a cross-site Origin even with a valid token', async () => {
    await expect(connect(tokened.port, `?token=${tokened.token}`, { Origin: 'http://evil.example' })).rejects.toThrow('HTTP 403')
    expect((await get(tokened.port, `/api/health?token=${tokened.token}`, { Origin: 'http://evil.example' })).status).toBe(403)
  })

  it('refuses noToken off loopback', async () => {
    await expect(startConsoleServer({ service, host: '0.0.0.0', port: 0, staticDir, noToken: true })).rejects.toThrow(/loopback/)
  })

  it('refuses plain HTTP off loopback unless insecure', async () => {
    await expect(startConsoleServer({ service, host: '0.0.0.0', port: 0, staticDir })).rejects.toThrow(/not loopback: give --tls-cert and --tls-key/)
  })
})

describe('console server: repeated bad tokens', () => {
  it('answers 429 after 10 wrong tokens from one address, even to the right one, on HTTP and WebSocket', async () => {
    const s = await startConsoleServer({ service, port: 0, staticDir, log: () => undefined })
    try {
      for (let i = 0; i < 10; i++) expect((await get(s.port, '/api/health?token=wrong-wrong-wrong-wrong')).status).toBe(401)
      expect((await get(s.port, `/api/health?token=${s.token}`)).status).toBe(429)
      await expect(connect(s.port, `?token=${s.token}`)).rejects.toThrow('HTTP 429')
    } finally {
      await s.close()
    }
  })
})

describe('console server on a non-loopback host', () => {
  let open: ConsoleServer
  beforeAll(async () => {
    // Plain HTTP off loopback needs insecure (TLS is tested in tls.test.ts).
    open = await startConsoleServer({ service, host: '0.0.0.0', port: 0, staticDir, insecure: true, log: (l) => logs.push(l) })
  })
  afterAll(() => open.close())

  it('requires the generated token on /api and /ws, but not on the shell', async () => {
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(open.url).toMatch(new RegExp(`:${open.port}/#token=${open.token}$`))
    expect((await get(open.port, '/api/health')).status).toBe(401)
    expect((await get(open.port, '/api/health', { Authorization: 'Bearer wrong-token-wrong-token-wrong-tok' })).status).toBe(401)
    expect((await get(open.port, '/api/health', { Authorization: `Bearer ${open.token}` })).status).toBe(200)
    expect((await get(open.port, `/api/health?token=${open.token}`)).status).toBe(200)
    expect((await get(open.port, '/')).status).toBe(200)
    await expect(connect(open.port)).rejects.toThrow('HTTP 401')
    await expect(connect(open.port, '?token=nope')).rejects.toThrow('HTTP 401')
    const client = new Client(await connect(open.port, `?token=${open.token}`))
    try {
      expect(await client.call('app.info', {})).toMatchObject({ result: { mode: 'browser' } })
    } finally {
      client.ws.close()
    }
    expect(logs.join('\n')).not.toContain(open.token!)
  })
})

describe('console server without a built renderer', () => {
  it('says to run npm run build, on the page and in the log', async () => {
    const lines: string[] = []
    const bare = await startConsoleServer({ service, port: 0, staticDir: join(tmp.dir, 'not-built'), log: (l) => lines.push(l) })
    try {
      const page = await get(bare.port, '/')
      expect(page.status).toBe(503)
      expect(page.body).toContain('npm run build')
      expect(page.headers['content-security-policy']).toBeDefined()
      expect(lines.join('\n')).toMatch(/not built.*npm run build/)
      expect((await get(bare.port, `/api/health?token=${bare.token}`)).status).toBe(200)
    } finally {
      await bare.close()
    }
  })
})

describe('console server limits', () => {
  it('answers calls beyond MAX_IN_FLIGHT unanswered ones with busy, and refuses sockets beyond the per-client cap', async () => {
    const hold: ConsoleBackend = { handle: () => new Promise<never>(() => undefined), subscribe: () => () => undefined }
    const s = await startConsoleServer({ service: hold, port: 0, staticDir, log: () => undefined })
    const opened: WebSocket[] = []
    try {
      const ws = await connect(s.port, `?token=${s.token}`)
      opened.push(ws)
      const replies: Array<{ id: number; error?: { code: string; message: string } }> = []
      ws.on('message', (d) => replies.push(JSON.parse(d.toString()) as (typeof replies)[number]))
      for (let i = 1; i <= MAX_IN_FLIGHT + 1; i++) ws.send(JSON.stringify({ id: i, method: 'app.info', params: {} }))
      await until(() => replies.length >= 1, 10_000, 'the busy reply')
      expect(replies).toEqual([{ id: MAX_IN_FLIGHT + 1, error: expect.objectContaining({ code: 'input', message: expect.stringContaining('busy') }) }])
      for (let i = 1; i < MAX_SOCKETS_PER_CLIENT; i++) opened.push(await connect(s.port, `?token=${s.token}`))
      await expect(connect(s.port, `?token=${s.token}`)).rejects.toThrow('HTTP 503')
      // recovered: one closed, one more accepted
      const last = opened.pop()!
      await new Promise<void>((resolve) => {
        last.once('close', () => resolve())
        last.close()
      })
      await until(async () => {
        try {
          opened.push(await connect(s.port, `?token=${s.token}`))
          return true
        } catch {
          return false
        }
      }, 10_000, 'a socket accepted again')
    } finally {
      for (const w of opened) w.terminate()
      await s.close()
    }
  })
})
