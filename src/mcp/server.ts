/**
 * `swarmage mcp`: the queue as Model Context Protocol tools (issue #14, part 5), so an operator's
 * coding assistant can look into a failing type: stats, tasks (list with filters, one with its logs
 * and attempts), schedules; and, only when started with `allowWrites`, retry, cancel, enqueue and the
 * schedule verbs. Read-only mode does not register the write tools at all: a client cannot even see
 * them. Every tool goes through the same Queue methods as the CLI, so the same validation applies.
 *
 * `why` (CONTRACT.md "Debugging") is built on another branch; its tool is added where it exists.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { listScheduleViews } from '../api/schedules.ts'
import { InputError, NotFoundError, SchemaError, errorMessage } from '../core/errors.ts'
import { TASK_STATES } from '../core/task.ts'
import type { Queue } from '../queue/queue.ts'

export interface McpOptions {
  queue: Queue
  /** Register retry, cancel, enqueue and the schedule verbs. Default false: read-only. */
  allowWrites?: boolean
  version: string
}

/** Tools a read-only server has; with allowWrites, WRITE_TOOLS too. */
export const READ_TOOLS = ['stats', 'list_tasks', 'get_task', 'why', 'list_schedules'] as const
export const WRITE_TOOLS = ['retry_task', 'cancel_task', 'enqueue_task', 'set_schedule', 'remove_schedule', 'pause_schedule', 'resume_schedule', 'run_schedule'] as const

/** Logs returned with a task: its newest, enough to see why it failed without flooding the client's context. */
const TASK_LOGS = 200

const id = z.string().min(1).max(200).describe('task id')
const scheduleName = z.string().min(1).max(100).describe('schedule name')

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] }
}

/**
 * A tool's failure as the model should see it: one line, marked isError. Input, not-found and schema
 * errors are the caller's to fix; anything else is reported the same way but never with a stack.
 */
function failed(err: unknown): CallToolResult {
  const kind = err instanceof InputError ? 'bad input' : err instanceof NotFoundError ? 'not found' : err instanceof SchemaError ? 'schema' : 'failed'
  return { isError: true, content: [{ type: 'text', text: `${kind}: ${errorMessage(err).replace(/\s*\n\s*/g, ' ')}` }] }
}

function run<A>(fn: (args: A) => Promise<unknown>): (args: A) => Promise<CallToolResult> {
  return async (args) => {
    try {
      return ok(await fn(args))
    } catch (err) {
      return failed(err)
    }
  }
}

export function createMcpServer(options: McpOptions): McpServer {
  const { queue } = options
  const server = new McpServer(
    { name: 'swarmage', version: options.version },
    {
      instructions:
        'Swarmage task queue tools. Tasks go queued → running → succeeded | failed | cancelled; a failed task keeps the error of its last attempt, ' +
        'and get_task shows its logs and attempts. ' +
        (options.allowWrites ? 'Write tools are enabled: retry, cancel, enqueue and schedule changes act on the live queue.' : 'This server is read-only (started without --allow-writes).'),
    },
  )
  const read = { readOnlyHint: true, openWorldHint: false }

  server.registerTool(
    'stats',
    { description: 'Counts of tasks by type and state, and the drones seen with their last heartbeat.', annotations: read },
    run(() => queue.stats()),
  )
  server.registerTool(
    'list_tasks',
    {
      description: 'Tasks matching filters, newest first. Page with `before` (the createdAt and id of the last task of the previous page).',
      inputSchema: {
        state: z.enum(TASK_STATES).optional(),
        type: z.string().max(100).optional(),
        search: z.string().max(1000).optional().describe('case-insensitive text in the payload or error'),
        limit: z.number().int().min(1).max(1000).default(50),
        before: z.object({ createdAt: z.string(), id: z.string() }).optional(),
      },
      annotations: read,
    },
    run(async (a: { state?: (typeof TASK_STATES)[number]; type?: string; search?: string; limit: number; before?: { createdAt: string; id: string } }) => {
      const tasks = await queue.list({
        limit: a.limit,
        ...(a.state ? { state: a.state } : {}),
        ...(a.type ? { type: a.type } : {}),
        ...(a.search ? { search: a.search } : {}),
        ...(a.before ? { before: a.before } : {}),
      })
      return { tasks, count: tasks.length }
    }),
  )
  server.registerTool(
    'get_task',
    { description: `One task with its attempts, children ids and newest ${TASK_LOGS} log lines.`, inputSchema: { id }, annotations: read },
    run(async (a: { id: string }) => {
      const task = await queue.mustGet(a.id)
      const [logs, attempts, children] = await Promise.all([queue.logs(a.id, TASK_LOGS), queue.attempts(a.id), queue.children(a.id)])
      return { ...task, logs, attempts, children }
    }),
  )
  server.registerTool(
    'why',
    {
      description:
        "Why a task is not running (or why it ran where it did): waiting for runAt, backoff, type paused, a limit full, no live drone serving the type, tasks ahead by priority, held by a drone (lease, heartbeat); one reason per entry, as `swarmage why ID --json`.",
      inputSchema: { id },
      annotations: read,
    },
    run((a: { id: string }) => queue.why(a.id)),
  )
  server.registerTool(
    'list_schedules',
    { description: 'Recurring schedules: cron (and in words), time zone, next runs, last run, paused.', annotations: read },
    run(() => listScheduleViews(queue)),
  )
  if (options.allowWrites) registerWriteTools(server, queue)
  return server
}

function registerWriteTools(server: McpServer, queue: Queue): void {
  const write = { readOnlyHint: false, destructiveHint: false, openWorldHint: false }
  server.registerTool(
    'retry_task',
    { description: 'Put a failed or cancelled task back in the queue with a fresh set of attempts.', inputSchema: { id }, annotations: write },
    run((a: { id: string }) => queue.retry(a.id)),
  )
  server.registerTool(
    'cancel_task',
    { description: 'Cancel a queued or running task.', inputSchema: { id }, annotations: { ...write, destructiveHint: true } },
    run((a: { id: string }) => queue.cancel(a.id)),
  )
  server.registerTool(
    'enqueue_task',
    {
      description: 'Enqueue one task; returns its id. A key makes it idempotent while the first task with that key is unfinished.',
      inputSchema: {
        type: z.string().max(100),
        payload: z.unknown().optional(),
        priority: z.number().int().optional(),
        delayMs: z.number().int().min(0).max(2_147_483_647).optional(),
        runAt: z.string().optional().describe('ISO-8601'),
        maxAttempts: z.number().int().min(1).max(1000).optional(),
        key: z.string().min(1).max(255).optional(),
        group: z.string().min(1).max(200).optional(),
      },
      annotations: write,
    },
    run(async (a: { type: string; payload?: unknown; priority?: number; delayMs?: number; runAt?: string; maxAttempts?: number; key?: string; group?: string }) => {
      const { type, payload, ...opts } = a
      return { id: await queue.enqueue(type, payload ?? null, opts) }
    }),
  )
  server.registerTool(
    'set_schedule',
    {
      description: 'Create or replace a schedule: a five-field cron expression (minute hour day-of-month month day-of-week) enqueuing one task of `type` per tick.',
      inputSchema: {
        name: scheduleName,
        cron: z.string().max(200),
        type: z.string().max(100),
        payload: z.unknown().optional(),
        timezone: z.string().max(100).optional().describe('IANA time zone, default UTC'),
        priority: z.number().int().optional(),
        maxAttempts: z.number().int().optional(),
        catchUp: z.number().int().optional().describe('ms: how far back missed ticks are still enqueued'),
        overlap: z.enum(['allow', 'skip']).optional(),
      },
      annotations: write,
    },
    run(async (a: { name: string; cron: string; type: string; payload?: unknown; timezone?: string; priority?: number; maxAttempts?: number; catchUp?: number; overlap?: 'allow' | 'skip' }) => {
      const { name, ...def } = a
      return queue.setSchedule(name, def)
    }),
  )
  server.registerTool(
    'remove_schedule',
    { description: 'Remove a schedule (tasks it made stay).', inputSchema: { name: scheduleName }, annotations: { ...write, destructiveHint: true } },
    run(async (a: { name: string }) => {
      await queue.removeSchedule(a.name)
      return { removed: a.name }
    }),
  )
  server.registerTool('pause_schedule', { description: 'Pause a schedule: no ticks until resumed.', inputSchema: { name: scheduleName }, annotations: write }, run((a: { name: string }) => queue.pauseSchedule(a.name)))
  server.registerTool('resume_schedule', { description: 'Resume a paused schedule.', inputSchema: { name: scheduleName }, annotations: write }, run((a: { name: string }) => queue.resumeSchedule(a.name)))
  server.registerTool(
    'run_schedule',
    { description: "Enqueue one task of a schedule now; returns the task's id.", inputSchema: { name: scheduleName }, annotations: write },
    run(async (a: { name: string }) => ({ id: await queue.runSchedule(a.name) })),
  )
}
