/**
 * Security (issue 4): payloads never travel through NOTIFY. A LISTEN client on the queue's channel
 * captures every notification while tasks carrying a marker string are enqueued, claimed, completed,
 * cancelled and retried; the marker never appears, while the wake-ups themselves do.
 */
import pg from 'pg'
import { expect, it } from 'vitest'
import { channelFor } from '../../src/queue/postgres/ident.ts'
import { TEST_PG } from '../helpers.ts'
import { DroneProc, droneConfig, freshQueue, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { LEDGER_WORKER } from './lib/mode.ts'
import { settle } from './lib/wait.ts'

let q: PgQueue
const listener = new pg.Client({ connectionString: TEST_PG })
const { tmp, drones } = scenario('sec2', async () => {
  await listener.end().catch(() => undefined)
  await q?.cleanup()
})

it('payloads are never sent through NOTIFY', async () => {
  const t0 = Date.now()
  q = await freshQueue('sec2')
  const marker = `SECRET-${Math.random().toString(36).slice(2)}`
  const seen: string[] = []
  await listener.connect()
  listener.on('notification', (m) => seen.push(m.payload ?? ''))
  await listener.query(`LISTEN "${channelFor(q.schema)}"`)
  const drone = new DroneProc(droneConfig(q, 'd1', tmp.dir, { workers: { work: { module: LEDGER_WORKER, config: {} } }, drone: { pollMs: 200 } }))
  drones.push(drone)
  await drone.running()
  const ids = await q.queue.enqueueMany(Array.from({ length: 20 }, (_, n) => ({ type: 'work', payload: { n, secret: marker, sleepMs: 200 } })))
  await q.queue.enqueue('work', { secret: marker }, { key: `${marker}-key` })
  const later = await q.queue.enqueue('work', { secret: marker, sleepMs: 100 }, { delayMs: 60_000 })
  await q.queue.cancel(later)
  await q.queue.retry(later)
  await q.queue.cancel(later)
  await settle(q.admin, q.schema, 30_000)
  await listener.query('SELECT 1') // notifications sent before this round trip have arrived
  const leaked = seen.filter((p) => p.includes(marker) || p.includes('SECRET')).length
  const figures = recordFigures(
    {
      id: 'sec2',
      title: 'Payloads never sent through NOTIFY',
      size: `${ids.length + 2} tasks with a marker in payload and key; enqueue, claim, complete, cancel, retry`,
      runs: ids.length,
      faults: 0,
      lost: 0,
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: null,
      extra: { notifications: seen.length, 'carrying the marker': leaked, sample: (seen[0] ?? '').slice(0, 60) },
      checks: { 'notifications captured': seen.length > 0, 'no payload in any notification': leaked === 0 },
    },
    t0,
  )
  expect(figures.checks).toEqual({ 'notifications captured': true, 'no payload in any notification': true })
})
