/**
 * The console's activity list (issue #10): one line per operator action — who (token and client
 * address, IPC, no-token), what, when, how it ended — kept in console.db across restarts, pushed
 * live, and never holding a password or a payload. Real service, real server, real WebSocket client.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ConsoleServerFrame, PushMessage } from '../../src/api/contract.ts'
import type { ActivityEntry } from '../../src/api/audit.ts'
import { ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import { startConsoleServer } from '../../src/console/server.ts'
import { tempDir, until } from '../helpers.ts'

const tmp = tempDir('swarmage-activity-')
afterAll(() => tmp.cleanup())

function service(): ConsoleService {
  return new ConsoleService({ dataDir: join(tmp.dir, 'data'), mode: 'browser', seedExamples: false })
}

/** Calls over a real WebSocket; resolves with the reply frame (result or error). */
async function wsClient(url: string): Promise<{ call(method: string, params: unknown): Promise<ConsoleServerFrame>; close(): void }> {
  const ws = new WebSocket(url)
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  let next = 1
  const waiting = new Map<number, (f: ConsoleServerFrame) => void>()
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as ConsoleServerFrame
    if ('id' in f && typeof f.id === 'number') waiting.get(f.id)?.(f)
  })
  return {
    call: (method, params) =>
      new Promise((resolve) => {
        const id = next++
        waiting.set(id, resolve)
        ws.send(JSON.stringify({ id, method, params }))
      }),
    close: () => ws.close(),
  }
}

describe('activity list', () => {
  it('records who did what over the token-protected WebSocket and IPC, pushes it, and keeps it across restarts', async () => {
    const s1 = service()
    await s1.start()
    const pushed: ActivityEntry[] = []
    s1.subscribe((m: PushMessage) => void (m.channel === 'activity' && pushed.push(m.entry)))
    const server = await startConsoleServer({ service: s1, port: 0, staticDir: join(tmp.dir, 'none'), log: () => undefined })
    try {
      const token = server.token!
      const client = await wsClient(`ws://127.0.0.1:${server.port}/ws?token=${token}`)
      const enq = await client.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'audited', payload: { secret: 'payload-text' } })
      const { id } = (enq as { result: { id: string } }).result
      await client.call('tasks.cancel', { connectionId: EMBEDDED_ID, id })
      // Refused by the single-task rules (a cancelled task cannot be cancelled): recorded with its reason.
      const refused = await client.call('tasks.cancel', { connectionId: EMBEDDED_ID, id })
      expect('error' in refused).toBe(true)
      // Reads are not operator actions.
      await client.call('tasks.list', { connectionId: EMBEDDED_ID })
      await client.call('queue.stats', { connectionId: EMBEDDED_ID })
      await client.call('connections.save', { name: 'pg', kind: 'postgres', host: 'db.example', database: 'app', user: 'u', password: 'hunter2-secret' })
      client.close()
      // The desktop window's calls come through the IPC router with this actor.
      await s1.handle('tasks.retry', { connectionId: EMBEDDED_ID, id }, { via: 'ipc' })

      const list = await s1.call('activity.list', {})
      expect(list.map((e) => [e.who, e.action])).toEqual([
        ['ipc', 'tasks.retry'],
        ['token 127.0.0.1', 'connections.save'],
        ['token 127.0.0.1', 'tasks.cancel'],
        ['token 127.0.0.1', 'tasks.cancel'],
        ['token 127.0.0.1', 'tasks.enqueue'],
      ])
      expect(list[4]).toMatchObject({ target: `connectionId=${EMBEDDED_ID} type=audited`, outcome: 'ok' })
      expect(list[3]).toMatchObject({ target: `connectionId=${EMBEDDED_ID} id=${id}`, outcome: 'ok' })
      expect(list[2]!.outcome).toBe((refused as { error: { message: string } }).error.message)
      expect(Date.now() - Date.parse(list[0]!.at)).toBeLessThan(60_000)
      const text = JSON.stringify(list)
      expect(text).not.toContain('hunter2-secret')
      expect(text).not.toContain('payload-text')
      expect(text).not.toContain(token)
      await until(() => pushed.length === 5, 5000, 'five pushed lines')
      expect(pushed.map((e) => e.id)).toEqual(list.map((e) => e.id).reverse())
    } finally {
      await server.close()
      await s1.stop()
    }

    const s2 = service()
    await s2.start()
    try {
      const kept = await s2.call('activity.list', { limit: 2 })
      expect(kept.map((e) => e.action)).toEqual(['tasks.retry', 'connections.save'])
      const older = await s2.call('activity.list', { limit: 10, beforeId: kept[1]!.id })
      expect(older).toHaveLength(3)
    } finally {
      await s2.stop()
    }
  })

  it('names a console without a token as such', async () => {
    const s = new ConsoleService({ dataDir: join(tmp.dir, 'data2'), mode: 'browser', seedExamples: false })
    await s.start()
    const server = await startConsoleServer({ service: s, port: 0, staticDir: join(tmp.dir, 'none'), noToken: true, log: () => undefined })
    try {
      const client = await wsClient(`ws://127.0.0.1:${server.port}/ws`)
      await client.call('tasks.demo', { connectionId: EMBEDDED_ID, count: 3 })
      client.close()
      expect((await s.call('activity.list', {})).map((e) => [e.who, e.action, e.target])).toEqual([['no-token 127.0.0.1', 'tasks.demo', `connectionId=${EMBEDDED_ID} count=3`]])
    } finally {
      await server.close()
      await s.stop()
    }
  })
})
