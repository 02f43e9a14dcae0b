/**
 * `swarmage mcp` through the MCP SDK's own client over stdio, against a real queue on SQLite and on
 * PostgreSQL: read-only by default (the write tools are not even listed), the write tools with
 * --allow-writes, errors as isError results, and the usual exit statuses before serving.
 */
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, describe, expect, it } from 'vitest'
import type { Task } from '../../src/core/task.ts'
import { READ_TOOLS, WRITE_TOOLS } from '../../src/mcp/server.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'
import { BIN, cli, fails } from './cli.ts'

const tmp = tempDir('swarmage-mcp-')
const schema = uniqueSchema('mcp')
afterAll(async () => {
  tmp.cleanup()
  await dropSchema(schema)
})

async function connect(address: string, ...flags: string[]): Promise<Client> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'SWARMAGE_QUEUE') env[k] = v
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--queue', address, ...flags], cwd: tmp.dir, env, stderr: 'ignore' })
  const client = new Client({ name: 'swarmage-test', version: '1.0.0' })
  await client.connect(transport)
  return client
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string; json: unknown }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('')
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {
    // an error line
  }
  return { isError: r.isError === true, text, json }
}

describe.each([
  ['SQLite', `sqlite:${join(tmp.dir, 'q.db')}`],
  ['PostgreSQL', pgAddress(schema)],
])('swarmage mcp on %s', (_name, address) => {
  let queue: Queue
  let failedId: string
  let queuedId: string

  it('is read-only by default: stats, tasks with filters, one task, schedules; no write tool listed', async () => {
    queue = await openQueue(address, { migrate: true })
    queuedId = await queue.enqueue('mcp.report', { n: 1 }, { priority: 3 })
    await queue.enqueue('mcp.other', { n: 2 })
    failedId = await queue.enqueue('mcp.report', { n: 3 })
    await queue.cancel(failedId)
    await queue.setSchedule('nightly', { cron: '30 2 * * *', type: 'mcp.report', timezone: 'Europe/Berlin' })

    const client = await connect(address)
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort()
      expect(tools).toEqual([...READ_TOOLS].sort())
      expect((await client.listTools()).tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true)

      const stats = (await call(client, 'stats')).json as { types: Record<string, Record<string, number>> }
      expect(stats.types['mcp.report']).toMatchObject({ queued: 1, cancelled: 1 })
      expect(stats.types['mcp.other']).toMatchObject({ queued: 1 })

      const listed = (await call(client, 'list_tasks', { type: 'mcp.report', state: 'queued' })).json as { tasks: Task[] }
      expect(listed.tasks.map((t) => t.id)).toEqual([queuedId])
      const paged = (await call(client, 'list_tasks', { limit: 1 })).json as { tasks: Task[] }
      expect(paged.tasks).toHaveLength(1)
      const next = (await call(client, 'list_tasks', { limit: 5, before: { createdAt: paged.tasks[0]!.createdAt, id: paged.tasks[0]!.id } })).json as { tasks: Task[] }
      expect(next.tasks).toHaveLength(2)
      expect(next.tasks.map((t) => t.id)).not.toContain(paged.tasks[0]!.id)

      const one = (await call(client, 'get_task', { id: queuedId })).json as Task & { logs: unknown[]; attempts: unknown[]; children: string[] }
      expect(one).toMatchObject({ id: queuedId, type: 'mcp.report', payload: { n: 1 }, priority: 3, logs: [], attempts: [], children: [] })

      // nothing serves mcp.report on this queue: why says so, and the CLI's report shape comes back
      const why = (await call(client, 'why', { id: queuedId })).json as { state: string; reasons: Array<{ code: string }> }
      expect(why.state).toBe('queued')
      expect(why.reasons.map((r) => r.code)).toContain('no-drone')

      const missing = await call(client, 'get_task', { id: '00000000-0000-4000-8000-000000000000' })
      expect(missing.isError).toBe(true)
      expect(missing.text).toMatch(/^not found: /)

      const schedules = (await call(client, 'list_schedules')).json as Array<{ name: string; timezone: string; nextRuns: string[] }>
      expect(schedules.map((s) => [s.name, s.timezone, s.nextRuns.length])).toEqual([['nightly', 'Europe/Berlin', 5]])

      const refused = await client.callTool({ name: 'retry_task', arguments: { id: failedId } }).then(
        (r) => (r as CallToolResult).isError === true,
        () => true,
      )
      expect(refused).toBe(true)
      expect((await queue.get(failedId))!.state).toBe('cancelled')
    } finally {
      await client.close()
    }
  })

  it('with --allow-writes: retry, cancel, enqueue and the schedule verbs act on the queue; bad input is an isError result', async () => {
    const client = await connect(address, '--allow-writes')
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort()
      expect(tools).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort())

      expect(((await call(client, 'retry_task', { id: failedId })).json as Task).state).toBe('queued')
      expect((await queue.get(failedId))!.state).toBe('queued')
      expect(((await call(client, 'cancel_task', { id: queuedId })).json as Task).state).toBe('cancelled')
      const again = await call(client, 'cancel_task', { id: queuedId })
      expect(again.isError).toBe(true)
      expect(again.text).toMatch(/^bad input: /)

      const { id } = (await call(client, 'enqueue_task', { type: 'mcp.new', payload: { hello: 'world' }, priority: 7, group: 'tenant-1' })).json as { id: string }
      expect(await queue.get(id)).toMatchObject({ type: 'mcp.new', payload: { hello: 'world' }, priority: 7, group: 'tenant-1', state: 'queued' })
      const bad = await call(client, 'enqueue_task', { type: 'bad type!' })
      expect(bad.isError).toBe(true)
      expect(bad.text).toMatch(/bad input: .*bad type!/)

      await call(client, 'set_schedule', { name: 'hourly', cron: '0 * * * *', type: 'mcp.report', payload: { full: true } })
      expect((await queue.schedule('hourly'))).toMatchObject({ cron: '0 * * * *', type: 'mcp.report' })
      const badCron = await call(client, 'set_schedule', { name: 'broken', cron: '61 * * * *', type: 'x' })
      expect(badCron.isError).toBe(true)
      expect(badCron.text).toContain('61 * * * *')
      expect(((await call(client, 'pause_schedule', { name: 'hourly' })).json as { paused: boolean }).paused).toBe(true)
      expect(((await call(client, 'resume_schedule', { name: 'hourly' })).json as { paused: boolean }).paused).toBe(false)
      const run = (await call(client, 'run_schedule', { name: 'hourly' })).json as { id: string }
      expect(await queue.get(run.id)).toMatchObject({ type: 'mcp.report', payload: { full: true } })
      await call(client, 'remove_schedule', { name: 'hourly' })
      expect(await queue.schedule('hourly')).toBeNull()
    } finally {
      await client.close()
      await queue.close()
    }
  })
})

describe('swarmage mcp: around serving', () => {
  it('exits 0 with nothing on stdout but the protocol when the client closes stdin', async () => {
    const r = await cli(['mcp', '--queue', `sqlite:${join(tmp.dir, 'closed.db')}`], { cwd: tmp.dir, input: '' })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
  })

  it('refuses a bad --queue as bad usage, one line', async () => {
    fails(await cli(['mcp', '--queue', 'bogus:thing'], { cwd: tmp.dir }), 2, /bogus:thing/)
  })

  it('says the PostgreSQL schema is missing (exit 1) instead of serving tools that all fail', async () => {
    const empty = uniqueSchema('mcp_empty')
    try {
      fails(await cli(['mcp', '--queue', pgAddress(empty)], { cwd: tmp.dir }), 1, /swarmage migrate/)
    } finally {
      await dropSchema(empty)
    }
  })
})
