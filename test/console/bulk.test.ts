/**
 * The console's bulk actions (issue #14, part 1) through the real service on SQLite and PostgreSQL:
 * the exact count first, a job in batches with progress pushed after each, only the filter's tasks
 * changed, an abort between batches, and both ends of every job in the activity list.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CONSOLE_BULK_BATCH, type BulkJobView } from '../../src/api/bulk-jobs.ts'
import type { PushMessage } from '../../src/api/contract.ts'
import { ConsoleService } from '../../src/api/service.ts'
import { openQueue } from '../../src/queue/open.ts'
import type { Queue } from '../../src/queue/queue.ts'
import { dropSchema, pgAddress, tempDir, uniqueSchema, until } from '../helpers.ts'

const tmp = tempDir('swarmage-console-bulk-')
const schema = uniqueSchema('console_bulk')
afterAll(async () => {
  tmp.cleanup()
  await dropSchema(schema)
})

async function fill(queue: Queue, type: string, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i += 1000) ids.push(...(await queue.enqueueMany(Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ type, payload: { i: i + j } })))))
  return ids
}

describe.each([
  ['SQLite', 'sqlite' as const],
  ['PostgreSQL', 'postgres' as const],
])('console bulk actions on %s', (_name, kind) => {
  const address = kind === 'sqlite' ? `sqlite:${join(tmp.dir, 'q.db')}` : pgAddress(schema)

  it('counts, cancels every matching task in batches with progress, leaves the rest alone, and records both ends', async () => {
    const service = new ConsoleService({ dataDir: join(tmp.dir, `data-${kind}`), mode: 'browser', seedExamples: false })
    await service.start()
    const queue = await openQueue(address, { migrate: true })
    const jobs: BulkJobView[] = []
    service.subscribe((m: PushMessage) => void (m.channel === 'bulk' && jobs.push(m.job)))
    try {
      const conn = kind === 'sqlite' ? await service.call('connections.save', { name: 'q', kind: 'sqlite', path: join(tmp.dir, 'q.db') }) : await service.call('connections.save', { name: 'q', kind: 'postgres', address })
      const target = await fill(queue, 'bulk.target', 2300)
      const other = await fill(queue, 'bulk.other', 300)
      // Outside the filter though of the type: a cancelled one (state filter is queued).
      await queue.cancel(target[0]!)

      const filter = { state: 'queued' as const, type: 'bulk.target' }
      expect(await service.call('tasks.bulkCount', { connectionId: conn.id, filter })).toEqual({ matched: 2299 })
      const started = await service.call('tasks.bulk', { connectionId: conn.id, verb: 'cancel', filter }, { via: 'ipc' })
      expect(started).toMatchObject({ verb: 'cancel', expected: 2299, state: 'running', filter })
      await until(() => jobs.some((j) => j.id === started.id && j.state !== 'running'), 60_000, 'the job to end')
      const end = jobs.filter((j) => j.id === started.id).at(-1)!
      expect(end).toMatchObject({ state: 'done', matched: 2299, changed: 2299 })
      // A push after every batch: progress is seen growing, not only the end.
      const steps = jobs.filter((j) => j.id === started.id && j.state === 'running').map((j) => j.changed)
      expect(steps.length).toBeGreaterThanOrEqual(Math.ceil(2299 / CONSOLE_BULK_BATCH))
      expect(steps.some((c) => c > 0 && c < 2299)).toBe(true)

      const stats = await queue.stats()
      expect(stats.types['bulk.target']).toMatchObject({ queued: 0, cancelled: 2300 })
      expect(stats.types['bulk.other']).toMatchObject({ queued: 300, cancelled: 0 })
      expect((await queue.get(other[0]!))!.state).toBe('queued')

      const lines = (await service.call('activity.list', {})).filter((e) => e.action.startsWith('tasks.bulk'))
      expect(lines.map((e) => [e.who, e.action, e.outcome])).toEqual([
        ['ipc', 'tasks.bulk.end', 'done: 2299 matched, 2299 cancelled'],
        ['ipc', 'tasks.bulk', 'started: 2299 matching'],
      ])
      expect(lines[1]!.target).toContain('verb=cancel')
      expect(lines[1]!.target).toContain('filter={state: "queued", type: "bulk.target"}')
      expect(await service.call('tasks.bulkJobs', {})).toEqual([expect.objectContaining({ id: started.id, state: 'done' })])
    } finally {
      await queue.close()
      await service.stop()
    }
  })

  it('aborts between batches: some tasks retried, the rest untouched, "aborted" in the list', async () => {
    const service = new ConsoleService({ dataDir: join(tmp.dir, `data2-${kind}`), mode: 'browser', seedExamples: false })
    await service.start()
    try {
      const conn = kind === 'sqlite' ? await service.call('connections.save', { name: 'q', kind: 'sqlite', path: join(tmp.dir, 'q.db') }) : await service.call('connections.save', { name: 'q', kind: 'postgres', address })
      const filter = { state: 'cancelled' as const, type: 'bulk.target' }
      let aborted: Promise<{ aborted: boolean }> | undefined
      let jobId = ''
      const ended = new Promise<BulkJobView>((resolve) =>
        service.subscribe((m) => {
          if (m.channel !== 'bulk' || m.job.id !== jobId) return
          // Abort as soon as the first batch is reported.
          if (m.job.state === 'running' && m.job.matched > 0) aborted ??= service.call('tasks.bulkAbort', { jobId })
          if (m.job.state !== 'running') resolve(m.job)
        }),
      )
      jobId = (await service.call('tasks.bulk', { connectionId: conn.id, verb: 'retry', filter })).id
      const end = await ended
      expect(await aborted).toEqual({ aborted: true })
      expect(end.state).toBe('aborted')
      expect(end.changed).toBeGreaterThan(0)
      expect(end.changed).toBeLessThan(2300)
      const queue = await openQueue(address, { migrate: true })
      try {
        const counts = (await queue.stats()).types['bulk.target']!
        expect(counts.queued).toBe(end.changed)
        expect(counts.cancelled).toBe(2300 - end.changed)
      } finally {
        await queue.close()
      }
      expect(await service.call('tasks.bulkAbort', { jobId })).toEqual({ aborted: false })
      const lines = await service.call('activity.list', {})
      expect(lines.find((e) => e.action === 'tasks.bulk.end')).toMatchObject({ who: 'console', outcome: `aborted: ${end.matched} matched, ${end.changed} retried` })
      expect(lines.filter((e) => e.action === 'tasks.bulkAbort').map((e) => e.target)).toEqual([`jobId=${jobId}`, `jobId=${jobId}`])
    } finally {
      await service.stop()
    }
  })
})
