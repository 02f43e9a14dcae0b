import { InvalidArgumentError, type Command } from 'commander'
import { InputError } from '../../core/errors.ts'
import { EMPTY_TYPE_SETTINGS, parseRate, type TypeSettings, type TypeSettingsPatch } from '../../core/flow.ts'
import { assertTaskType } from '../../core/validate.ts'
import { commandContext, common, withQueue, type CommonOptions } from '../context.ts'
import type { Output } from '../output.ts'

/** The same bounds as the settings schema (core/flow.ts), so a bad value never reaches the queue. */
const MAX_LIMIT = 1_000_000

/**
 * "none" clears one limit; anything else must be an integer from 1 to 1000000. "none" stays a word
 * here: commander turns a parser's null into ''.
 */
function limitOption(value: string): number | 'none' {
  if (value.trim() === 'none') return 'none'
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_LIMIT}, or none`)
  return n
}

function rateOption(what: string): (value: string) => string {
  return (value) => {
    if (value.trim() === 'none') return 'none'
    try {
      parseRate(value, what)
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message.replace(/^.*? is not valid: /, ''))
    }
    return value.trim()
  }
}

interface LimitsCliOptions extends CommonOptions {
  maxRunning?: number | 'none'
  rate?: string
  groupMaxRunning?: number | 'none'
  groupRate?: string
  clear?: boolean
}

/**
 * `swarmage pause TYPE`, `swarmage resume TYPE` and `swarmage limits` (CONTRACT.md "Flow control"):
 * they change the type's row in the global queue, which wakes every drone (LISTEN on PostgreSQL,
 * data_version on SQLite), so the change binds from each drone's next claim.
 */
export function registerFlowCommands(program: Command): void {
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    common(
      program
        .command(verb)
        .description(paused ? 'stops every drone claiming tasks of TYPE (tasks in hand finish; enqueue still works)' : 'lets drones claim tasks of TYPE again')
        .argument('<type>', 'task type'),
    ).action(async (type: string, opts: CommonOptions) => {
      assertTaskType(type)
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        const s = await queue.setTypeSettings(type, { paused })
        printSettings(ctx.out, { [type]: s }, { done: `${type}: ${paused ? 'paused' : 'resumed'}` })
      })
    })
  }

  common(
    program
      .command('limits')
      .description("shows every type's flow settings, or shows or changes one type's limits (N/INTERVAL rates, e.g. 100/1s; none clears one)")
      .argument('[type]', 'task type'),
  )
    .option('--max-running <n>', 'at most N tasks of TYPE running at once across all drones', limitOption)
    .option('--rate <n/interval>', 'at most N starts in any window of INTERVAL (ms, s, m, h, d), e.g. 100/1s', rateOption('--rate'))
    .option('--group-max-running <n>', 'at most N running at once per task group', limitOption)
    .option('--group-rate <n/interval>', 'the same as --rate, per task group', rateOption('--group-rate'))
    .option('--clear', 'clears every limit of TYPE first (paused stays as it is)')
    .action(async (type: string | undefined, opts: LimitsCliOptions) => {
      const patch: TypeSettingsPatch = {}
      if (opts.clear) Object.assign(patch, { maxRunning: null, rate: null, groupMaxRunning: null, groupRate: null })
      for (const k of ['maxRunning', 'rate', 'groupMaxRunning', 'groupRate'] as const) {
        if (opts[k] !== undefined) (patch as Record<string, unknown>)[k] = opts[k] === 'none' ? null : opts[k]
      }
      const changing = Object.keys(patch).length > 0
      if (type === undefined && changing) throw new InputError('give the task TYPE whose limits to change: swarmage limits TYPE --max-running N …')
      if (type !== undefined) assertTaskType(type)
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        if (type !== undefined && changing) {
          const s = await queue.setTypeSettings(type, patch)
          return printSettings(ctx.out, { [type]: s })
        }
        const all = await queue.typeSettings()
        if (type === undefined) return printSettings(ctx.out, all, { empty: 'no flow settings: every type runs unlimited' })
        printSettings(ctx.out, { [type]: all[type] ?? EMPTY_TYPE_SETTINGS })
      })
    })
}

/**
 * `--json`: `{"types": {TYPE: {paused, maxRunning, rate, groupMaxRunning, groupRate}}}` (CONTRACT.md);
 * else `text.done` when given (pause/resume), `text.empty` for no rows, else a table.
 */
function printSettings(out: Output, types: Record<string, TypeSettings>, text: { done?: string; empty?: string } = {}): void {
  if (out.json) {
    const shown: Record<string, TypeSettings> = {}
    for (const [t, s] of Object.entries(types)) shown[t] = { paused: s.paused, maxRunning: s.maxRunning, rate: s.rate, groupMaxRunning: s.groupMaxRunning, groupRate: s.groupRate }
    return out.doc({ types: shown })
  }
  const entries = Object.entries(types)
  if (text.done !== undefined) return out.text(text.done)
  if (entries.length === 0 && text.empty !== undefined) return out.text(text.empty)
  out.table(
    ['TYPE', 'PAUSED', 'MAX RUNNING', 'RATE', 'GROUP MAX RUNNING', 'GROUP RATE'],
    entries.map(([t, s]) => [t, s.paused ? 'yes' : 'no', s.maxRunning, s.rate, s.groupMaxRunning, s.groupRate]),
  )
}
