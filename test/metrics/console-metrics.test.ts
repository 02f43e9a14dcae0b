/**
 * `swarmage console` serves GET /metrics behind its access token: a real console process running a
 * config's workers, tasks enqueued through its API, /metrics parsed by a real exposition-format
 * parser and checked against them.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ConsoleServerFrame } from '../../src/api/contract.ts'
import { tsxImportUrl } from '../../src/workers/fork-spawner.ts'
import { tempDir, until } from '../helpers.ts'
import { scrape, value } from './scrape.ts'

const tmp = tempDir('swarmage-metrics-console-')
afterAll(() => tmp.cleanup())
const TOKEN = 'metrics-test-token-0123456789'

describe('swarmage console /metrics', () => {
  it('is refused without the token, and counts what the console enqueued and its drone ran', async () => {
    mkdirSync(join(tmp.dir, 'workers'))
    writeFileSync(join(tmp.dir, 'workers', 'ok.ts'), 'export default async function (payload: unknown) {\n  return payload\n}\n')
    writeFileSync(
      join(tmp.dir, 'swarmage.config.json'),
      JSON.stringify({ queue: 'sqlite:./q.db', workers: { ok: { module: './workers/ok.ts', concurrency: 2 } }, drone: { name: 'console-drone' } }),
    )
    let out = ''
    const child = spawn(process.execPath, ['--import', tsxImportUrl(), join(import.meta.dirname, '..', 'console', 'fixtures', 'console-cli.ts'), 'console', '--port', '0', '--no-open', '--json'], {
      cwd: tmp.dir,
      env: { ...process.env, SWARMAGE_QUEUE: '', SWARMAGE_CONSOLE_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await until(() => out.includes('\n'), 30_000, 'the URL line')
      const port = new URL((JSON.parse(out.trim()) as { url: string }).url).port
      const url = `http://127.0.0.1:${port}/metrics`

      expect((await scrape(url)).status).toBe(401)
      expect((await scrape(url, 'wrong-token-wrong-token-wrong')).status).toBe(401)
      expect((await fetch(`${url}?token=${TOKEN}`)).status).toBe(200)

      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`)
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      const replies: ConsoleServerFrame[] = []
      ws.on('message', (d) => replies.push(JSON.parse(d.toString()) as ConsoleServerFrame))
      for (let i = 0; i < 4; i++) ws.send(JSON.stringify({ id: i, method: 'tasks.enqueue', params: { connectionId: 'embedded', type: 'ok', payload: { i } } }))
      await until(() => replies.filter((r) => 'id' in r).length >= 4, 10_000, 'the enqueue replies')
      expect(replies.filter((r) => 'result' in r)).toHaveLength(4)
      ws.close()

      const want: Array<[string, Record<string, string>, number]> = [
        ['swarmage_tasks_enqueued_total', { type: 'ok' }, 4],
        ['swarmage_tasks_started_total', { type: 'ok', drone: 'console-drone' }, 4],
        ['swarmage_tasks_succeeded_total', { type: 'ok', drone: 'console-drone' }, 4],
        ['swarmage_task_run_seconds_count', { type: 'ok' }, 4],
        ['swarmage_task_wait_seconds_count', { type: 'ok' }, 4],
        ['swarmage_queue_tasks', { type: 'ok', state: 'queued' }, 0],
        ['swarmage_drone_capacity', { type: 'ok', drone: 'console-drone' }, 15],
      ]
      let last = await scrape(url, TOKEN)
      await until(async () => {
        last = await scrape(url, TOKEN)
        return want.every(([n, l, v]) => value(last.series, n, l) === v)
      }, 60_000, 'the console metrics to match').catch((err: unknown) => {
        throw new Error(`${String(err)}:\n${last.text}`)
      })
      expect(last.status).toBe(200)
      expect(value(last.series, 'swarmage_tasks_failed_total', { type: 'ok', drone: 'console-drone' })).toBeUndefined()

      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
