import type { Command } from 'commander'
import { InputError } from '../../core/errors.ts'
import { TASK_STATES, type TaskState } from '../../core/task.ts'
import { TASK_TYPE_RE } from '../../core/validate.ts'
import { validateBulkFilter, type BulkFilter, type BulkVerb } from '../../queue/bulk/bulk.ts'
import type { Queue } from '../../queue/queue.ts'
import { commandContext, common, intOpt, withQueue, type CommandContext, type CommonOptions } from '../context.ts'

interface VerbOptions extends CommonOptions {
  filter?: boolean
  dryRun?: boolean
  state?: string
  type?: string
  group?: string
  search?: string
  before?: string
  after?: string
  batchSize?: number
}

const VERBS: ReadonlyArray<readonly [BulkVerb, string, string]> = [
  ['retry', 'retried', 'put a failed or cancelled task back in the queue with a fresh set of attempts'],
  ['cancel', 'cancelled', 'cancel a queued or running task'],
  ['delete', 'deleted', 'delete a task that is not running'],
]

/**
 * `swarmage retry|cancel|delete ID` and `… --filter [--state S --type T --group G --search TEXT
 * --before ISO --after ISO] [--dry-run]` (CONTRACT.md "Operations"). `--filter` takes no value: it
 * says "every task matching these", so a verb with neither an ID nor --filter still refuses.
 */
export function registerTaskVerbs(program: Command): void {
  for (const [name, verb, description] of VERBS) {
    common(program.command(name).description(`${description}; with --filter, every task matching the filter`).argument('[id]', 'task id'))
      .option('--filter', 'act on every task matching --state/--type/--group/--search/--before/--after')
      .option('--state <state>', `with --filter: tasks in this state: ${TASK_STATES.join(', ')}`)
      .option('--type <type>', 'with --filter: tasks of this type')
      .option('--group <group>', 'with --filter: tasks of this group')
      .option('--search <text>', 'with --filter: text in the payload or error (case-insensitive)')
      .option('--before <iso>', 'with --filter: created before this time')
      .option('--after <iso>', 'with --filter: created after this time')
      .option('--dry-run', 'with --filter: print the number of matching tasks, change nothing')
      .addOption(intOpt('--batch-size <n>', 'with --filter: tasks per batch (default 500)', 1, 100_000))
      .action(async (id: string | undefined, opts: VerbOptions) => {
        if (opts.filter) {
          if (id !== undefined) throw new InputError(`${name}: give either a task id or --filter, not both`)
          const filter = toFilter(opts)
          const ctx = await commandContext(opts)
          await withQueue(ctx, (queue) => runBulk(ctx, queue, name, verb, filter, opts))
          return
        }
        const filterOnly = (['state', 'type', 'group', 'search', 'before', 'after', 'dryRun'] as const).find((k) => opts[k] !== undefined)
        if (filterOnly) throw new InputError(`${name}: --${filterOnly.replace('dryRun', 'dry-run')} needs --filter`)
        if (id === undefined) throw new InputError(`${name}: give a task id, or --filter to act on every task matching a filter`)
        const ctx = await commandContext(opts)
        await withQueue(ctx, async (queue) => {
          if (name === 'delete') {
            await queue.delete(id)
            if (ctx.out.json) ctx.out.doc({ id, deleted: true })
            else ctx.out.text(`deleted ${id}`)
            return
          }
          const task = name === 'retry' ? await queue.retry(id) : await queue.cancel(id)
          if (ctx.out.json) ctx.out.doc(task)
          else ctx.out.text(`${verb} ${task.id} (${task.type}), now ${task.state}`)
        })
      })
  }
}

function toFilter(opts: VerbOptions): BulkFilter {
  if (opts.state !== undefined && !TASK_STATES.includes(opts.state as TaskState)) {
    throw new InputError(`unknown state "${opts.state}": expected one of ${TASK_STATES.join(', ')}`)
  }
  if (opts.type !== undefined && !TASK_TYPE_RE.test(opts.type)) {
    throw new InputError(`invalid task type ${JSON.stringify(opts.type)}: expected 1–100 characters of A-Z a-z 0-9 _ . : / -`)
  }
  const f: BulkFilter = {}
  if (opts.state !== undefined) f.state = opts.state as TaskState
  for (const k of ['type', 'group', 'search', 'before', 'after'] as const) if (opts[k] !== undefined) f[k] = opts[k]
  validateBulkFilter(f)
  return f
}

async function runBulk(ctx: CommandContext, queue: Queue, name: BulkVerb, verb: string, filter: BulkFilter, opts: VerbOptions): Promise<void> {
  const result = await queue.bulk(name, filter, {
    dryRun: opts.dryRun === true,
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    // Progress on stderr, so stdout stays the one result document.
    onProgress: (p) => {
      if (!opts.dryRun) process.stderr.write(`${name}: ${p.matched} matched, ${p.changed} ${verb} so far\n`)
    },
  })
  if (ctx.out.json) ctx.out.doc(result)
  else if (opts.dryRun) ctx.out.text(`${result.matched} tasks match`)
  else ctx.out.text(`${result.matched} matched, ${result.changed} ${verb}`)
}
