import type { Command } from 'commander'
import { InputError } from '../../core/errors.ts'
import { TASK_STATES, type Task, type TaskState } from '../../core/task.ts'
import { TASK_TYPE_RE } from '../../core/validate.ts'
import { commandContext, common, intOpt, withQueue, type CommandContext, type CommonOptions } from '../context.ts'
import { shortTime } from '../output.ts'
import { registerTaskVerbs } from './bulk.ts'

interface ListOptions extends CommonOptions {
  state?: string
  type?: string
  limit?: number
}

export function registerTaskCommands(program: Command): void {
  common(program.command('tasks').description('list tasks, newest first'))
    .option('--state <state>', `only tasks in this state: ${TASK_STATES.join(', ')}`)
    .option('--type <type>', 'only tasks of this type')
    .addOption(intOpt('--limit <n>', 'at most this many (default 100)', 1, 1_000_000))
    .action(async (opts: ListOptions) => {
      // Checked before the queue is opened, so a typo costs no connection and names the choices.
      if (opts.state !== undefined && !TASK_STATES.includes(opts.state as TaskState)) {
        throw new InputError(`unknown state "${opts.state}": expected one of ${TASK_STATES.join(', ')}`)
      }
      if (opts.type !== undefined && !TASK_TYPE_RE.test(opts.type)) {
        throw new InputError(`invalid task type ${JSON.stringify(opts.type)}: expected 1–100 characters of A-Z a-z 0-9 _ . : / -`)
      }
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        const tasks = await queue.list({
          limit: opts.limit ?? 100,
          ...(opts.state !== undefined ? { state: opts.state as TaskState } : {}),
          ...(opts.type !== undefined ? { type: opts.type } : {}),
        })
        if (ctx.out.json) return ctx.out.lines(tasks)
        if (tasks.length === 0) return ctx.out.text('no tasks')
        ctx.out.table(
          ['ID', 'TYPE', 'STATE', 'ATTEMPTS', 'PRIORITY', 'CREATED', 'RUN AT'],
          tasks.map((t) => [t.id, t.type, t.state, `${t.attempts}/${t.maxAttempts}`, t.priority, shortTime(t.createdAt), shortTime(t.runAt)]),
        )
      })
    })

  common(program.command('task').description('show one task, its logs and its children').argument('<id>', 'task id')).action(
    async (id: string, opts: CommonOptions) => {
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        const task = await queue.mustGet(id)
        const [logs, children] = await Promise.all([queue.logs(id), queue.children(id)])
        if (ctx.out.json) return ctx.out.doc({ ...task, logs, children })
        printTask(ctx, task)
        ctx.out.text(`children:    ${children.length ? children.join(', ') : '-'}`)
        if (logs.length) {
          ctx.out.text('logs:')
          for (const l of logs) {
            const data = l.data === undefined ? '' : ` ${JSON.stringify(l.data)}`
            // Captured output shows its stream where ctx.log lines show their level.
            const tag = l.stream === 'stdout' || l.stream === 'stderr' ? l.stream : l.level
            ctx.out.text(`  ${shortTime(l.at)} #${l.attempt} ${tag.padEnd(6)} ${l.message}${data}`)
          }
        } else ctx.out.text('logs:        -')
      })
    },
  )

  // retry|cancel|delete ID, or --filter with the filter options (src/cli/commands/bulk.ts).
  registerTaskVerbs(program)
}

function printTask(ctx: CommandContext, t: Task): void {
  const rows: Array<[string, unknown]> = [
    ['id', t.id],
    ['type', t.type],
    ['state', t.state],
    ['payload', JSON.stringify(t.payload)],
    ['priority', t.priority],
    ['attempts', `${t.attempts}/${t.maxAttempts}`],
    ['key', t.key],
    ['parent', t.parentId],
    ['drone', t.drone],
    ['created', t.createdAt],
    ['run at', t.runAt],
    ['started', t.startedAt],
    ['finished', t.finishedAt],
    ['result', t.result === null ? null : JSON.stringify(t.result)],
    ['error', t.error?.message ?? null],
  ]
  for (const [k, v] of rows) ctx.out.text(`${`${k}:`.padEnd(13)}${v === null || v === undefined ? '-' : String(v)}`)
}
