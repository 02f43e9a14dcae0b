import type { Command } from 'commander'
import { InputError } from '../../core/errors.ts'
import { commandContext, common, withQueue, type CommonOptions } from '../context.ts'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000, w: 7 * 86400_000 }

/** "14d", "12h", "90m", "30s", "500ms", "1w" or a plain number of milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d|w)?\s*$/.exec(text)
  const n = m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : NaN
  if (!Number.isSafeInteger(n)) throw new InputError(`${what} "${text}" is not a duration: expected e.g. 14d, 12h, 90m, 30s or milliseconds`)
  return n
}

function formatDuration(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm', 's'] as const) if (ms > 0 && ms % UNITS[u]! === 0) return `${ms / UNITS[u]!}${u}`
  return `${ms}ms`
}

/** `swarmage settings [--retention DUR]`: the queue-wide settings (how long finished tasks are kept). */
export function registerSettings(program: Command): void {
  common(program.command('settings').description('show or change queue-wide settings (retention of finished tasks)'))
    .option('--retention <duration>', 'keep finished tasks this long before maintenance prunes them, e.g. 14d')
    .action(async (opts: CommonOptions & { retention?: string }) => {
      const retentionMs = opts.retention === undefined ? undefined : parseDuration(opts.retention, '--retention')
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        const s = retentionMs === undefined ? await queue.settings() : await queue.setSettings({ retentionMs })
        if (ctx.out.json) ctx.out.doc(s)
        else ctx.out.text(`retention: ${formatDuration(s.retentionMs)} (${s.retentionMs} ms)`)
      })
    })
}
