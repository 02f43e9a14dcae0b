import type { Command } from 'commander'
import { commandContext, common, withQueue, type CommonOptions } from '../context.ts'

/** `swarmage why ID` (CONTRACT.md "Debugging"): one reason a line; --json the whole report. */
export function registerWhy(program: Command): void {
  common(
    program
      .command('why')
      .description("why a task is not running (waiting, backoff, paused, a full limit, no drone, tasks ahead), or where it runs or ran")
      .argument('<id>', 'task id'),
  ).action(async (id: string, opts: CommonOptions) => {
    const ctx = await commandContext(opts)
    await withQueue(ctx, async (queue) => {
      const report = await queue.why(id)
      if (ctx.out.json) return ctx.out.doc(report)
      for (const r of report.reasons) ctx.out.text(`${r.code}: ${r.message}`)
    })
  })
}
