import { randomBytes } from 'node:crypto'
import net from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SwarmageError } from '../../src/core/errors.ts'
import { validateNewTask } from '../../src/core/validate.ts'
import type { QueueSignal, Subscription } from '../../src/queue/driver.ts'
import { PostgresDriver, type PostgresDriverOptions } from '../../src/queue/postgres/driver.ts'
import { wrapPgError } from '../../src/queue/postgres/errors.ts'
import { TEST_PG, dropSchema, uniqueSchema, until } from '../helpers.ts'

/**
 * A TCP proxy in front of the real PostgreSQL, to break connections the ways networks do: refuse new
 * ones, or black-hole existing ones (bytes stop flowing, nothing is closed).
 */
class Proxy {
  private server = net.createServer((client) => this.accept(client))
  private pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>()
  refusing = false
  /** The next client message containing this text freezes its connection (then it is cleared). */
  freezeOn: string | null = null
  port = 0

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as net.AddressInfo).port
  }

  /** The test database's address, through this proxy. */
  address(base: string): string {
    const url = new URL(base)
    url.host = `127.0.0.1:${this.port}`
    return url.toString()
  }

  private accept(client: net.Socket): void {
    if (this.refusing) {
      client.destroy()
      return
    }
    const upstream = net.connect(this.target.port, this.target.host)
    const pair = { client, upstream, frozen: false }
    this.pairs.add(pair)
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        // A path that dies while this message is on its way (once): the pair freezes before it passes.
        if (from === client && this.freezeOn !== null && chunk.includes(this.freezeOn)) {
          this.freezeOn = null
          pair.frozen = true
        }
        if (!pair.frozen) to.write(chunk)
      })
    forward(client, upstream)
    forward(upstream, client)
    const close = () => {
      this.pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  }

  /** Existing connections stop carrying bytes; new ones work. */
  blackHoleExisting(): void {
    for (const p of this.pairs) p.frozen = true
  }

  async stop(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy()
      p.upstream.destroy()
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

const schema = uniqueSchema('pgres')
const pgUrl = new URL(TEST_PG)
const proxy = new Proxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) })
const opened: PostgresDriver[] = []
const subs: Subscription[] = []

async function open(options: Partial<PostgresDriverOptions> = {}): Promise<PostgresDriver> {
  const d = await PostgresDriver.open({ connectionString: TEST_PG, schema, poolSize: 3, ...options })
  opened.push(d)
  return d
}

async function admin<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: TEST_PG })
  await c.connect()
  try {
    return (await c.query<R>(text, values)).rows
  } finally {
    await c.end()
  }
}

/** Unique per test, so terminating "our" backends never touches another test file's connections. */
const appName = () => `swarmage-t-${randomBytes(4).toString('hex')}`
const row = (type: string, payload: unknown = {}) => validateNewTask({ type, payload }, { maxPayloadBytes: 1 << 20 })

beforeAll(async () => {
  await proxy.start()
  const d = await open()
  await d.schemaMigrate()
})

afterAll(async () => {
  for (const s of subs) await s.close()
  for (const d of opened) await d.close()
  await proxy.stop()
  await dropSchema(schema)
})

describe('PostgreSQL wake-ups and connection failures', () => {
  it('wakes a subscriber of another driver instance within ~50 ms of an insert (measured)', async () => {
    const listener = await open()
    const writer = await open()
    const waiters: Array<(s: QueueSignal) => void> = []
    subs.push(await listener.signalSubscribe((s) => waiters.shift()?.(s)))
    const next = () => new Promise<QueueSignal>((resolve) => waiters.push(resolve))
    await writer.ping()
    const samples: number[] = []
    for (let i = 0; i < 20; i++) {
      const got = next()
      const t0 = performance.now()
      await writer.taskInsertMany({ tasks: [row('latency', { i })] })
      const signal = await got
      samples.push(performance.now() - t0)
      expect(signal).toEqual({ kind: 'tasks', types: ['latency'] })
    }
    samples.sort((a, b) => a - b)
    const median = samples[10]!
    console.log(`[postgres] insert → LISTEN wake-up: median ${median.toFixed(1)} ms, worst ${samples[19]!.toFixed(1)} ms (20 samples)`)
    // The target is 50 ms; measured here 10–16 ms median, 20–52 ms worst, with the machine's 2 cores
    // at load 10–20 from other test runs. The bounds are lenient so that load alone cannot fail it.
    expect(median).toBeLessThan(100)
    expect(samples[19]).toBeLessThan(1000)
  })

  it('recovers the LISTEN connection after pg_terminate_backend, and signals what was enqueued in the gap', async () => {
    const app = appName()
    const d = await open({ connectionString: proxy.address(TEST_PG), applicationName: app })
    const writer = await open()
    const signals: QueueSignal[] = []
    const sub = await d.signalSubscribe((s) => signals.push(s))
    subs.push(sub)
    expect(sub.mode()).toBe('push')
    const pid = d.listenerBackendPid
    // Reconnects are refused while we look, so the gap is certain to be seen.
    proxy.refusing = true
    const killed = await admin<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
      [`${app}-listen:${schema}`],
    )
    expect(killed).toEqual([{ ok: true }])
    await until(() => sub.mode() === 'polling', 5000, 'the subscription to degrade to polling')
    signals.length = 0
    await writer.taskInsertMany({ tasks: [row('gap')] })
    proxy.refusing = false
    await until(() => sub.mode() === 'push', 5000, 'the LISTEN connection to come back')
    expect(d.listenerBackendPid).not.toBe(pid)
    await until(() => signals.some((s) => s.kind === 'tasks'), 5000, 'the catch-up signal after reconnecting')
    // And pushes flow again on the new connection.
    signals.length = 0
    await writer.taskInsertMany({ tasks: [row('after-gap')] })
    await until(() => signals.some((s) => s.kind === 'tasks' && s.types?.includes('after-gap') === true), 5000, 'a push after recovery')
  })

  it('notices a black-holed LISTEN connection by its heartbeat and re-listens', async () => {
    const d = await open({ connectionString: proxy.address(TEST_PG), heartbeatMs: 100, heartbeatTimeoutMs: 300 })
    const writer = await open()
    const signals: QueueSignal[] = []
    const sub = await d.signalSubscribe((s) => signals.push(s))
    subs.push(sub)
    expect(sub.mode()).toBe('push')
    const pid = d.listenerBackendPid
    const t0 = performance.now()
    proxy.blackHoleExisting()
    await until(() => sub.mode() === 'polling', 5000, 'the heartbeat to notice the dead connection')
    const detectMs = performance.now() - t0
    expect(d.listenerError?.message).toMatch(/did not answer a heartbeat within 300 ms/)
    await until(() => sub.mode() === 'push', 5000, 'a new LISTEN connection')
    console.log(`[postgres] black-holed LISTEN connection noticed after ${detectMs.toFixed(0)} ms (heartbeat 100 ms, timeout 300 ms)`)
    expect(detectMs).toBeLessThan(2000)
    expect(d.listenerBackendPid).not.toBe(pid)
    await writer.taskInsertMany({ tasks: [row('after-blackhole')] })
    await until(() => signals.some((s) => s.kind === 'tasks' && s.types?.includes('after-blackhole') === true), 5000, 'a push after recovery')
  })

  it('gives up on a LISTEN that goes unanswered (the path died after the connect) and listens on a new connection', async () => {
    // Before: no heartbeat runs until 'listening', so the listener stayed 'connecting' and the drone polled for good.
    proxy.freezeOn = 'LISTEN'
    const d = await open({ connectionString: proxy.address(TEST_PG), heartbeatMs: 100, heartbeatTimeoutMs: 300 })
    const writer = await open()
    const signals: QueueSignal[] = []
    const sub = await d.signalSubscribe((s) => signals.push(s))
    subs.push(sub)
    await until(() => sub.mode() === 'push', 5000, 'a new LISTEN connection')
    expect(proxy.freezeOn).toBeNull()
    expect(d.listenerError?.message).toMatch(/did not answer LISTEN within 300 ms/)
    await writer.taskInsertMany({ tasks: [row('after-frozen-listen')] })
    await until(() => signals.some((s) => s.kind === 'tasks' && s.types?.includes('after-frozen-listen') === true), 5000, 'a push on the new connection')
  }, 20_000)

  it('fails a query on a black-holed pool connection as retryable, then works on a fresh one', async () => {
    const d = await open({ connectionString: proxy.address(TEST_PG), poolSize: 1, queryTimeoutMs: 300 })
    await d.ping()
    proxy.blackHoleExisting()
    const err = await d.statsGet().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SwarmageError)
    expect((err as SwarmageError).retryable).toBe(true)
    expect((err as Error).message).toMatch(/PostgreSQL stats failed: Query read timeout/)
    expect((await d.statsGet()).types).toBeTypeOf('object')
  })

  it('keeps working when its pool connections are terminated; any failure on the way is retryable', async () => {
    const app = appName()
    const d = await open({ applicationName: app })
    await Promise.all([d.ping(), d.ping(), d.ping()])
    const killed = await admin<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1`, [app])
    expect(killed.length).toBeGreaterThanOrEqual(1)
    const errors: SwarmageError[] = []
    let ids: string[] = []
    for (let i = 0; i < 5 && ids.length === 0; i++) {
      try {
        ids = await d.taskInsertMany({ tasks: [row('after-kill')] })
      } catch (e) {
        errors.push(e as SwarmageError)
      }
    }
    expect(ids).toHaveLength(1)
    expect(errors.every((e) => e instanceof SwarmageError && e.retryable)).toBe(true)
    expect((await d.taskGet({ id: ids[0]! }))?.type).toBe('after-kill')
  })

  it('classifies a terminated connection (57P01) and a dropped socket as retryable', async () => {
    const app = appName()
    const c = new pg.Client({ connectionString: TEST_PG, application_name: app })
    c.on('error', () => undefined)
    await c.connect()
    const inFlight = c.query('SELECT pg_sleep(10)').catch((e: unknown) => e)
    await until(async () => (await admin(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`, [app])).length > 0, 5000, 'the query to run')
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [app])
    const err = await inFlight
    const wrapped = wrapPgError(err, 'test')
    expect(wrapped.retryable).toBe(true)
    expect(wrapped.cause).toBe(err)
    const after = await c.query('SELECT 1').catch((e: unknown) => e)
    expect(wrapPgError(after, 'test').retryable).toBe(true)
    // Not everything is retryable: bad SQL is not, and bad data is an input error.
    const other = new pg.Client({ connectionString: TEST_PG })
    await other.connect()
    try {
      expect(wrapPgError(await other.query('SELECT * FROM no_such_table_here').catch((e: unknown) => e), 'test').retryable).toBe(false)
      expect(wrapPgError(await other.query(`SELECT 'x'::int`).catch((e: unknown) => e), 'test').name).toBe('InputError')
    } finally {
      await other.end()
    }
  })
})
