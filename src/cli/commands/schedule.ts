import { InvalidArgumentError, type Command } from 'commander'
import { parseJsonArg } from '../../core/validate.ts'
import type { OverlapPolicy, Schedule, ScheduleDefinition } from '../../schedules/definition.ts'
import { commandContext, common, intOption, withQueue, type CommonOptions } from '../context.ts'
import { shortTime } from '../output.ts'

/** `swarmage schedules` and `swarmage schedule set|rm|pause|resume|run` (CONTRACT.md#schedules-recurring-tasks). */
export function registerScheduleCommands(program: Command): void {
  common(program.command('schedules').description('lists schedules: name, cron, time zone, next run, last run, paused')).action(
    async (opts: CommonOptions) => {
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        const list = await queue.schedules()
        if (ctx.out.json) return ctx.out.lines(list)
        if (list.length === 0) return ctx.out.text('no schedules')
        ctx.out.table(
          ['NAME', 'CRON', 'TIMEZONE', 'TYPE', 'NEXT RUN', 'LAST RUN', 'PAUSED'],
          list.map((s) => [s.name, s.cron, s.timezone, s.type, shortTime(s.nextRun) ?? '-', shortTime(s.lastRun) ?? '-', s.paused ? 'yes' : 'no']),
        )
      })
    },
  )

  const schedule = program.command('schedule').description('sets, removes, pauses, resumes or runs a schedule')

  common(
    schedule
      .command('set')
      .description('creates or replaces a schedule')
      .argument('<name>', 'schedule name: 1–100 characters of A-Z a-z 0-9 _ . -')
      .argument('[payload]', "the tasks' payload as JSON (default null)")
      .requiredOption('--cron <expr>', 'five-field cron expression (minute hour day-of-month month day-of-week)')
      .requiredOption('--type <type>', 'task type')
      .option('--timezone <tz>', 'IANA time zone the cron is read in (default UTC)')
      .option('--catch-up <ms>', 'how far back missed ticks are still enqueued (default 0)', intOption(0))
      .option('--overlap <policy>', "'skip': no task while the previous one is unfinished (default allow)", overlapOption)
      .option('--priority <n>', 'task priority', intOption(-2147483648, 2147483647))
      .option('--max-attempts <n>', 'task maxAttempts', intOption(1, 1000)),
  ).action(async (name: string, payload: string | undefined, opts: CommonOptions & SetOptions) => {
    const def: ScheduleDefinition = { cron: opts.cron, type: opts.type, payload: payload === undefined ? null : parseJsonArg(payload, 'payload') }
    if (opts.timezone !== undefined) def.timezone = opts.timezone
    if (opts.catchUp !== undefined) def.catchUp = opts.catchUp
    if (opts.overlap !== undefined) def.overlap = opts.overlap
    if (opts.priority !== undefined) def.priority = opts.priority
    if (opts.maxAttempts !== undefined) def.maxAttempts = opts.maxAttempts
    const ctx = await commandContext(opts)
    await withQueue(ctx, async (queue) => {
      const s = await queue.setSchedule(name, def)
      if (ctx.out.json) return ctx.out.doc(s)
      ctx.out.text(`schedule ${s.name}: ${s.cron} (${s.timezone}) → ${s.type}, next run ${shortTime(s.nextRun) ?? '-'}`)
    })
  })

  const simple = (verb: string, description: string, act: (name: string, queue: Parameters<Parameters<typeof withQueue>[1]>[0]) => Promise<Schedule | string | void>) =>
    common(schedule.command(verb).description(description).argument('<name>', 'schedule name')).action(async (name: string, opts: CommonOptions) => {
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        const r = await act(name, queue)
        if (typeof r === 'string') return ctx.out.json ? ctx.out.doc({ id: r }) : ctx.out.text(r)
        if (ctx.out.json) return ctx.out.doc(r ?? { removed: name })
        ctx.out.text(r ? `schedule ${r.name} ${r.paused ? 'paused' : 'resumed'}` : `schedule ${name} removed`)
      })
    })
  simple('rm', 'removes a schedule (tasks it made stay)', (name, q) => q.removeSchedule(name))
  simple('pause', 'pauses a schedule: no tick enqueues anything until resumed', (name, q) => q.pauseSchedule(name))
  simple('resume', 'resumes a schedule from its next tick (ticks during the pause are not caught up)', (name, q) => q.resumeSchedule(name))
  simple('run', 'enqueues one task of the schedule now and prints its id', (name, q) => q.runSchedule(name))
}

interface SetOptions {
  cron: string
  type: string
  timezone?: string
  catchUp?: number
  overlap?: OverlapPolicy
  priority?: number
  maxAttempts?: number
}

function overlapOption(value: string): OverlapPolicy {
  if (value !== 'allow' && value !== 'skip') throw new InvalidArgumentError(`expected allow or skip, got ${JSON.stringify(value)}`)
  return value
}
