/**
 * Scenario 4 (issue 4): the LISTEN connection lost silently. (a) terminated with pg_terminate_backend;
 * (b) black-holed through the TCP proxy (the connection stays open, nothing is forwarded). Detected
 * within the heartbeat timeout, re-established, and a task enqueued in the gap is still picked up
 * promptly. The drone's poll timer is 30 s, so only wake-ups (or the degraded polling) can pick it up.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { TEST_PG, until } from '../helpers.ts'
import { DroneProc, droneBackends, droneConfig, freshQueue, terminateDroneBackends, type PgQueue, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { readLedger } from './lib/ledger.ts'
import { LEDGER_WORKER, size } from './lib/mode.ts'
import { TcpProxy } from './lib/proxy.ts'

const HEARTBEAT_MS = 1_000
const HEARTBEAT_TIMEOUT_MS = 1_000
/** Heartbeat period + its timeout + reconnect backoff and connect time on a busy 2-core machine. */
const DETECT_LIMIT_MS = HEARTBEAT_MS + HEARTBEAT_TIMEOUT_MS + 3_000
const ROUNDS = size(3, 2)

let q: PgQueue
let proxy: TcpProxy | null = null
const { tmp, drones } = scenario('s04', async () => {
  await proxy?.stop()
  await q?.cleanup()
})

it(`LISTEN lost silently: ${ROUNDS} terminations, ${ROUNDS} black holes`, async () => {
  const t0 = Date.now()
  q = await freshQueue('s04')
  const ledger = join(tmp.dir, 'ledger.ndjson')
  proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(TEST_PG).port || 5432) })
  await proxy.start()
  const drone = new DroneProc(
    droneConfig(q, 'd1', tmp.dir, {
      connectionString: proxy.address(TEST_PG),
      heartbeatMs: HEARTBEAT_MS,
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      queryTimeoutMs: 3_000,
      workers: { work: { module: LEDGER_WORKER, config: { ledger } } },
      drone: { leaseMs: 6_000, pollMs: 30_000 },
      events: ['drone-state', 'started'],
    }),
  )
  drones.push(drone)
  await drone.running()
  const listenPid = async (): Promise<number | null> => (await droneBackends(q.admin, q.schema, true))[0] ?? null
  await until(async () => (await listenPid()) !== null, 10_000, 'the LISTEN connection')

  /** Enqueues a task now and returns how long until its worker started it. */
  const pickup = async (): Promise<number> => {
    const at = Date.now()
    const id = await q.queue.enqueue('work', {})
    await until(() => readLedger(ledger).some((r) => r.task === id), 30_000, 'the gap task to start').catch(() => undefined)
    const run = readLedger(ledger).find((r) => r.task === id)
    return run ? run.start - at : Infinity
  }
  const baselineMs = await pickup()
  const detect: number[] = []
  const gap: number[] = []
  let faults = 0
  for (const how of [...Array<'terminate'>(ROUNDS).fill('terminate'), ...Array<'blackhole'>(ROUNDS).fill('blackhole')]) {
    const old = await listenPid()
    if (process.env.FAULTS_DEBUG) process.stdout.write(`round ${how} old=${old} ${JSON.stringify(drone.lines.filter((l) => l.ev === 'event').slice(-5))}\n`)
    const at = Date.now()
    if (how === 'terminate') await terminateDroneBackends(q.admin, q.schema, true)
    else proxy.blackholeExisting()
    faults++
    // A task enqueued in the gap, before the drone can have noticed anything.
    const gapMs = pickup()
    await until(async () => {
      const now = await droneBackends(q.admin, q.schema, true)
      return now.some((p) => p !== old)
    }, 30_000, 'a new LISTEN connection').catch(() => undefined)
    detect.push(Date.now() - at)
    gap.push(await gapMs)
    if (how === 'blackhole') await terminateDroneBackends(q.admin, q.schema).catch(() => 0) // free the held server sides
  }
  const after = await pickup()
  if (process.env.FAULTS_DEBUG) process.stdout.write(`${drone.stderr}\n${JSON.stringify(drone.lines.filter((l) => l.ev === 'event' && l.kind === 'drone-state'))}\n`)
  const runs = readLedger(ledger)
  const slowestDetect = Math.max(...detect)
  const slowestGap = Math.max(...gap)
  const figures = recordFigures(
    {
      id: 's04',
      title: 'LISTEN lost silently',
      size: `1 drone (poll timer 30 s), heartbeat ${HEARTBEAT_MS} ms / timeout ${HEARTBEAT_TIMEOUT_MS} ms, ${ROUNDS} terminations + ${ROUNDS} black holes`,
      runs: runs.length,
      faults,
      lost: runs.length === 2 + faults ? 0 : 2 + faults - new Set(runs.map((r) => r.task)).size,
      duplicates: runs.length - new Set(runs.map((r) => r.task)).size,
      duplicatesWhy: {},
      recoverMs: slowestDetect,
      extra: { 'pickup before (ms)': baselineMs, 'gap task pickup, slowest (ms)': Number.isFinite(slowestGap) ? slowestGap : 'not within 30 s', 'gap pickups (ms)': gap.map((g) => (Number.isFinite(g) ? g : '>30000')).join('/'), 'pickup after (ms)': after, 'detect+re-listen per fault (ms)': detect.join('/') },
      checks: {
        'detected and re-established within the heartbeat timeout': slowestDetect < DETECT_LIMIT_MS,
        'gap tasks picked up promptly': slowestGap < DETECT_LIMIT_MS + 1_000,
        'wake-ups work afterwards': after < 1_000,
        'drone alive': drone.alive,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
