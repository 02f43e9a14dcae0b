/**
 * `swarmage console` off loopback (issue #10): HTTPS and WSS with --tls-cert/--tls-key, checked by a
 * real TLS client that trusts only a self-signed certificate made here with openssl; a non-loopback
 * --host without them refused as bad usage before anything starts, unless --insecure.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { get } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ConsoleServerFrame } from '../../src/api/contract.ts'
import { cli, collect, fails, startCli } from '../cli/cli.ts'
import { tempDir, until } from '../helpers.ts'

const tmp = tempDir('swarmage-console-tls-')
afterAll(() => tmp.cleanup())

/** A self-signed certificate for 127.0.0.1 / localhost, and its key. */
function makeCert(name: string): { cert: string; key: string } {
  const cert = join(tmp.dir, `${name}.crt`)
  const key = join(tmp.dir, `${name}.key`)
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' })
  return { cert, key }
}

let a: { cert: string; key: string }
let b: { cert: string; key: string }
beforeAll(() => {
  a = makeCert('a')
  b = makeCert('b')
})

const env = { SWARMAGE_QUEUE: `sqlite:${join(tmp.dir, 'q.db')}` }

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

describe('swarmage console over TLS', () => {
  it('serves HTTPS and WSS with --tls-cert/--tls-key to a client that verifies the certificate', async () => {
    const child = startCli(['console', '--port', '0', '--no-open', '--json', '--data-dir', join(tmp.dir, 'c1'), '--tls-cert', a.cert, '--tls-key', a.key], { cwd: tmp.dir, env })
    const done = collect(child)
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    try {
      await until(() => out.includes('\n'), 30_000, 'the URL line')
      const { url } = JSON.parse(out.trim()) as { url: string }
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/#token=/)
      const port = new URL(url).port
      const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token')!
      const ca = readFileSync(a.cert)

      expect((await httpsGet(`https://127.0.0.1:${port}/api/health?token=${token}`, ca)).status).toBe(200)
      expect((await httpsGet(`https://127.0.0.1:${port}/api/health`, ca)).status).toBe(401)
      // A client that trusts another certificate refuses this one: it is TLS, verified, not a fallback.
      await expect(httpsGet(`https://127.0.0.1:${port}/api/health?token=${token}`, readFileSync(b.cert))).rejects.toThrow(/self-signed|certificate/i)
      // Plain HTTP on the same port gets no console.
      await expect(fetch(`http://127.0.0.1:${port}/api/health?token=${token}`).then((r) => r.status)).rejects.toThrow()

      const ws = new WebSocket(`wss://127.0.0.1:${port}/ws?token=${token}`, { ca })
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      const reply = new Promise<ConsoleServerFrame>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()) as ConsoleServerFrame)))
      ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }))
      expect(await reply).toMatchObject({ id: 1, result: { mode: 'browser' } })
      ws.close()
    } finally {
      child.kill('SIGTERM')
    }
    expect((await done).code).toBe(0)
  })

  it('refuses a non-loopback --host without TLS, before anything starts', async () => {
    const dataDir = join(tmp.dir, 'refused')
    const r = await cli(['console', '--port', '0', '--no-open', '--host', '0.0.0.0', '--data-dir', dataDir], { cwd: tmp.dir, env })
    fails(r, 2, /--host 0\.0\.0\.0 is not loopback: give --tls-cert and --tls-key .*--insecure/)
    expect(existsSync(dataDir)).toBe(false)
  })

  it('refuses a certificate without its key, and a key that is not the certificate\'s', async () => {
    fails(await cli(['console', '--no-open', '--tls-cert', a.cert], { cwd: tmp.dir, env }), 2, /--tls-cert needs --tls-key/)
    fails(await cli(['console', '--no-open', '--tls-cert', a.cert, '--tls-key', b.key], { cwd: tmp.dir, env }), 2, /--tls-cert .*a\.crt \/ --tls-key .*b\.key: cannot be used: .*mismatch/i)
    fails(await cli(['console', '--no-open', '--tls-cert', join(tmp.dir, 'nope.crt'), '--tls-key', a.key], { cwd: tmp.dir, env }), 2, /--tls-cert .*nope\.crt: ENOENT/)
  })

  it('serves plain HTTP off loopback with --insecure, and says so', async () => {
    const child = startCli(['console', '--port', '0', '--no-open', '--json', '--host', '0.0.0.0', '--insecure', '--data-dir', join(tmp.dir, 'c2')], { cwd: tmp.dir, env })
    const done = collect(child)
    let out = ''
    let err = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    try {
      await until(() => out.includes('\n'), 30_000, 'the URL line')
      const { url } = JSON.parse(out.trim()) as { url: string }
      expect(url).toMatch(/^http:\/\//)
      const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token')!
      expect((await fetch(`http://127.0.0.1:${new URL(url).port}/api/health?token=${token}`)).status).toBe(200)
      await until(() => err.includes('WARNING: --insecure'), 10_000, 'the warning')
    } finally {
      child.kill('SIGTERM')
    }
    expect((await done).code).toBe(0)
  })
})
