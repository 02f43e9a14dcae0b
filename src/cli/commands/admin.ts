import type { Command } from 'commander'
import { TASK_STATES } from '../../core/task.ts'
import { redact } from '../../queue/address.ts'
import { commandContext, common, withQueue, type CommonOptions } from '../context.ts'
import { shortTime } from '../output.ts'

export function registerAdminCommands(program: Command): void {
  common(program.command('stats').description('counts by type and state, and the drones seen with their last heartbeat')).action(
    async (opts: CommonOptions) => {
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        const stats = await queue.stats()
        // CONTRACT.md: exactly {"types": {TYPE: {state: n}}, "drones": [{name, host, pid, startedAt, lastSeen}]}
        // (plus each drone's id, which tells two runs of one name apart).
        const drones = stats.drones.map((d) => ({ id: d.id, name: d.name, host: d.host, pid: d.pid, startedAt: d.startedAt, lastSeen: d.lastSeen }))
        if (ctx.out.json) return ctx.out.doc({ types: stats.types, drones })
        const types = Object.keys(stats.types).sort()
        if (types.length === 0) ctx.out.text('no tasks')
        else {
          const totals = TASK_STATES.map((s) => types.reduce((n, t) => n + (stats.types[t]?.[s] ?? 0), 0))
          ctx.out.table(
            ['TYPE', ...TASK_STATES.map((s) => s.toUpperCase())],
            [...types.map((t) => [t, ...TASK_STATES.map((s) => stats.types[t]?.[s] ?? 0)]), ...(types.length > 1 ? [['(all)', ...totals]] : [])],
          )
        }
        ctx.out.text('')
        if (drones.length === 0) return ctx.out.text('no drones seen')
        ctx.out.table(
          ['DRONE', 'HOST', 'PID', 'STARTED', 'LAST SEEN'],
          drones.map((d) => [d.name, d.host, d.pid, shortTime(d.startedAt), shortTime(d.lastSeen)]),
        )
      })
    },
  )

  common(program.command('migrate').description("create or upgrade the queue's schema")).action(async (opts: CommonOptions) => {
    const ctx = await commandContext(opts)
    await withQueue(
      ctx,
      async (queue) => {
        const { applied } = await queue.migrate()
        const { version } = await queue.ping()
        const where = redact(queue.address)
        if (ctx.out.json) return ctx.out.doc({ queue: where, applied, version })
        ctx.out.text(applied.length ? `applied migration${applied.length === 1 ? '' : 's'} ${applied.join(', ')} to ${where}` : `schema is up to date at ${where}`)
        ctx.out.text(`database: ${version}`)
      },
      { migrate: false },
    )
  })
}
