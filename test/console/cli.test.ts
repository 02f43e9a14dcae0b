/**
 * `swarmage console` as a user runs it: a real process serving a config's workers, printing its URL
 * on one line, answering the API, and draining on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ConsoleServerFrame, DroneView } from '../../src/api/contract.ts'
import { exampleWorkerPaths } from '../../src/api/examples.ts'
import { tsxImportUrl } from '../../src/workers/fork-spawner.ts'
import { tempDir, until } from '../helpers.ts'

const tmp = tempDir('swarmage-console-cli-')
afterAll(() => tmp.cleanup())

function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  let out = ''
  let err = ''
  const child = spawn(process.execPath, ['--import', tsxImportUrl(), join(import.meta.dirname, 'fixtures', 'console-cli.ts'), 'console', ...args], {
    cwd: tmp.dir,
    env: { ...process.env, SWARMAGE_QUEUE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, out: () => out, err: () => err, exited }
}

describe('swarmage console', () => {
  it('serves a config\'s workers, prints the URL on one line, and drains on SIGTERM', async () => {
    const config = join(tmp.dir, 'swarmage.config.json')
    writeFileSync(config, JSON.stringify({ queue: 'sqlite:./q.db', workers: { io: { module: exampleWorkerPaths().io, concurrency: 5 } }, drone: { name: 'cli-drone' } }))
    const p = run(['--port', '0', '--no-open', '--json'])
    try {
      await until(() => p.out().includes('\n'), 30_000, 'the URL line')
      const { url } = JSON.parse(p.out().trim()) as { url: string }
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/)
      const port = new URL(url).port
      const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token')!
      expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(401)
      const health = await fetch(`http://127.0.0.1:${port}/api/health?token=${token}`)
      expect(health.status).toBe(200)

      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`)
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      const replies: ConsoleServerFrame[] = []
      ws.on('message', (d) => replies.push(JSON.parse(d.toString()) as ConsoleServerFrame))
      ws.send(JSON.stringify({ id: 1, method: 'drones.list', params: {} }))
      ws.send(JSON.stringify({ id: 2, method: 'connections.list', params: {} }))
      ws.send(JSON.stringify({ id: 3, method: 'workers.list', params: {} }))
      await until(() => replies.filter((r) => 'id' in r).length >= 3, 10_000, 'replies')
      // Without --examples: the config's workers only, no example definitions (issue 16).
      const defs = (replies.find((r) => 'id' in r && r.id === 3) as { result: Array<{ id: string; example?: string }> }).result
      expect(defs.map((d) => [d.id, d.example])).toEqual([['config-io-1', undefined]])
      const drones = (replies.find((r) => 'id' in r && r.id === 1) as { result: DroneView[] }).result
      expect(drones.map((d) => [d.name, d.state])).toEqual([['cli-drone', 'running']])
      const connections = (replies.find((r) => 'id' in r && r.id === 2) as { result: Array<{ id: string; path?: string }> }).result
      expect(connections[0]).toMatchObject({ id: 'embedded', path: join(tmp.dir, 'q.db') })
      ws.close()

      p.child.kill('SIGTERM')
      expect(await p.exited).toBe(0)
      expect(p.err()).toMatch(/SIGTERM: draining/)
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL')
    }
  })

  it('refuses a short token file as bad usage', async () => {
    const file = join(tmpdir(), `swarmage-token-${process.pid}`)
    writeFileSync(file, 'short\n')
    const p = run(['--port', '0', '--no-open', '--token-file', file])
    expect(await p.exited).toBe(2)
    expect(p.err()).toMatch(/--token-file .*at least 16/)
  })

  it('refuses --no-token off loopback', async () => {
    const p = run(['--port', '0', '--no-open', '--no-token', '--host', '0.0.0.0'])
    expect(await p.exited).toBe(2)
    expect(p.err()).toMatch(/--no-token is allowed on a loopback --host only/)
  })
})
