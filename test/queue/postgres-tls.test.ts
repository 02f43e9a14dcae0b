/**
 * `sslmode=verify-full` against a real TLS PostgreSQL: a second cluster made by this test (initdb under
 * a temp folder, on a free port, never the shared one on 5432), with `ssl = on`, a self-signed CA and a
 * server certificate for `localhost` made here with openssl, and only `hostssl` connections allowed.
 * The trusted CA connects; a wrong CA or a host name the certificate does not name is refused, with an
 * error that says so, from the library and from the CLI (exit 1, one line).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync, chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { cli } from '../cli/cli.ts'
import { tempDir } from '../helpers.ts'

const PG_BIN = process.env.SWARMAGE_PG_BIN ?? '/usr/lib/postgresql/15/bin'
const tmp = tempDir('swarmage-pg-tls-')
const data = join(tmp.dir, 'data')
const certs = join(tmp.dir, 'certs')
let port = 0
let started = false

/** initdb and postgres refuse to run as root: as root (CI containers) they run as the postgres user. */
function asPostgres(cmd: string, args: string[]): void {
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
  const r = spawnSync(file, argv, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`)
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
    s.on('error', reject)
  })
}

/** A CA (key, self-signed cert) named `name` in the certs folder. */
function makeCa(name: string): string {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=Swarmage test ${name}`, '-keyout', join(certs, `${name}.key`), '-out', join(certs, `${name}.crt`))
  return join(certs, `${name}.crt`)
}

function address(host: string, ca: string): string {
  return `postgres://postgres@${host}:${port}/postgres?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}&schema=tls_test`
}

let trustedCa = ''
let wrongCa = ''

beforeAll(async () => {
  mkdirSync(certs)
  trustedCa = makeCa('ca')
  wrongCa = makeCa('other-ca')
  // The server's certificate names localhost only, so 127.0.0.1 is a host name it does not match.
  const ext = join(certs, 'server.ext')
  writeFileSync(ext, 'subjectAltName = DNS:localhost\n')
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', join(certs, 'server.key'), '-out', join(certs, 'server.csr'))
  openssl('x509', '-req', '-in', join(certs, 'server.csr'), '-CA', trustedCa, '-CAkey', join(certs, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', join(certs, 'server.crt'))

  mkdirSync(data, { mode: 0o700 })
  if (process.getuid?.() === 0) {
    // The cluster's files belong to the user who runs it; the key must be theirs and private.
    const { uid, gid } = postgresUser()
    chmodSync(tmp.dir, 0o755)
    chownSync(data, uid, gid)
    chownSync(join(certs, 'server.key'), uid, gid)
    chmodSync(certs, 0o755)
    chmodSync(join(certs, 'server.crt'), 0o644)
  }
  chmodSync(join(certs, 'server.key'), 0o600)
  asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'])
  port = await freePort()
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${data}'`,
      'ssl = on',
      `ssl_cert_file = '${join(certs, 'server.crt')}'`,
      `ssl_key_file = '${join(certs, 'server.key')}'`,
      'fsync = off',
      '',
    ].join('\n'),
  )
  // TLS or nothing: a plain connection is refused, so a test that passes did use TLS.
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n')
  asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', join(data, 'server.log'), '-w', '-t', '60', 'start'])
  started = true
}, 120_000)

afterAll(() => {
  try {
    if (started) asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
  } finally {
    tmp.cleanup()
  }
})

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

describe('PostgreSQL with sslmode=verify-full', () => {
  it('connects over TLS when the server certificate is signed by the trusted CA and names the host', async () => {
    const queue = await openQueue(address('localhost', trustedCa), { migrate: true })
    try {
      const id = await queue.enqueue('tls', { ok: true })
      expect(await queue.get(id)).toMatchObject({ type: 'tls', payload: { ok: true }, state: 'queued' })
    } finally {
      await queue.close()
    }
    const r = await cli(['stats', '--json', '--queue', address('localhost', trustedCa)], { cwd: tmp.dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ types: { tls: { queued: 1 } } })
  })

  it('refuses a server certificate from another CA, saying so', async () => {
    await expect(openQueue(address('localhost', wrongCa))).rejects.toThrow(/self[- ]signed certificate|unable to verify|certificate/i)
    const r = await cli(['stats', '--queue', address('localhost', wrongCa)], { cwd: tmp.dir })
    expect(r.code).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^swarmage: .*UNABLE_TO_VERIFY_LEAF_SIGNATURE.*not signed by a CA you trust: give that CA's certificate as \?sslrootcert=FILE$/)
  })

  it('refuses a host name the certificate does not name, saying so', async () => {
    await expect(openQueue(address('127.0.0.1', trustedCa))).rejects.toThrow(/127\.0\.0\.1.*(cert|altnames)|does not match/i)
    const r = await cli(['stats', '--queue', address('127.0.0.1', trustedCa)], { cwd: tmp.dir })
    expect(r.code).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^swarmage: .*127\.0\.0\.1 is not in the cert's list.*does not name the host in the address/)
  })
})
