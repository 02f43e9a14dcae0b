/**
 * A stored password goes only where it was typed for: testing or saving a connection with another
 * host or address must not hand it to whatever answers there (a fake PostgreSQL server asking for a
 * cleartext password receives nothing). And `?password=` never stays in clear in what views get.
 */
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsoleService } from '../../src/api/service.ts'
import { tempDir } from '../helpers.ts'

const tmp = tempDir('swarmage-pw-target-')
let fake: Server
let port = 0
const received: string[] = []

beforeAll(async () => {
  // Answers any startup message with AuthenticationCleartextPassword and records a PasswordMessage.
  fake = createServer((sock) => {
    let started = false
    sock.on('data', (buf: Buffer) => {
      if (!started) {
        started = true
        const r = Buffer.alloc(9)
        r.write('R', 0)
        r.writeInt32BE(8, 1)
        r.writeInt32BE(3, 5)
        sock.write(r)
        return
      }
      if (buf[0] === 0x70) received.push(buf.subarray(5).toString('utf8').replace(/\0$/, ''))
      sock.destroy()
    })
    sock.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.2', resolve))
  port = (fake.address() as { port: number }).port
})
afterAll(async () => {
  await new Promise((resolve) => fake.close(resolve))
  tmp.cleanup()
})

describe('connection fields', () => {
  it('refuses a host field that would inject URL parts (?sslrootcert=, a path)', async () => {
    const service = new ConsoleService({ dataDir: join(tmp.dir, 'data3'), mode: 'browser', seedExamples: false })
    await service.start()
    try {
      await expect(service.call('connections.save', { name: 'x', kind: 'postgres', host: 'h/db?sslrootcert=/tmp/evil#', port: 5432 })).rejects.toMatchObject({ code: 'input' })
      await expect(service.call('connections.save', { name: 'x', kind: 'postgres', host: 'db.example.com', port: 5432 })).resolves.toMatchObject({ kind: 'postgres' })
    } finally {
      await service.stop()
    }
  })
})

describe('a stored password follows no changed address', () => {
  it('test and save with another host or address send the fake server nothing', async () => {
    const service = new ConsoleService({ dataDir: join(tmp.dir, 'data'), mode: 'browser', seedExamples: false })
    await service.start()
    try {
      const saved = await service.call('connections.save', { name: 'pg', kind: 'postgres', address: 'postgres://app:s3cret-pw@127.0.0.1:5432/test' })
      expect(saved.hasPassword).toBe(true)
      const moved = `postgres://app@127.0.0.2:${port}/test`
      const r1 = await service.call('connections.test', { id: saved.id, name: 'pg', kind: 'postgres', address: moved })
      expect(r1.ok).toBe(false)
      const r2 = await service.call('connections.test', { id: saved.id, name: 'pg', kind: 'postgres', host: '127.0.0.2', port, user: 'app', database: 'test' })
      expect(r2.ok).toBe(false)
      const again = await service.call('connections.save', { id: saved.id, name: 'pg', kind: 'postgres', address: moved })
      expect(again.hasPassword).toBe(false)
      await service.call('connections.test', { id: saved.id })
      // pg answers a cleartext request with an empty password when it has none: the probes reached the
      // fake server, and none carried the stored one.
      expect(received.length).toBeGreaterThan(0)
      expect(received.every((p) => p === '')).toBe(true)
    } finally {
      await service.stop()
    }
  })

  it('moves ?password= into the secret store: never in address or display', async () => {
    const service = new ConsoleService({ dataDir: join(tmp.dir, 'data2'), mode: 'browser', seedExamples: false })
    await service.start()
    try {
      const saved = await service.call('connections.save', { name: 'q', kind: 'postgres', address: 'postgres://app@127.0.0.1:5432/test?password=q-secret-77' })
      expect(saved.hasPassword).toBe(true)
      const listed = await service.call('connections.list', {})
      expect(JSON.stringify(listed)).not.toContain('q-secret-77')
      expect(JSON.stringify(saved)).not.toContain('q-secret-77')
    } finally {
      await service.stop()
    }
  })
})
