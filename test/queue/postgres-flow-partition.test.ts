import net from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { validateNewTask } from '../../src/core/validate.ts'
import { PostgresDriver } from '../../src/queue/postgres/driver.ts'
import { TEST_PG, dropSchema, uniqueSchema, until } from '../helpers.ts'

/**
 * A drone cut off in the middle of a limited claim (found on the three-host rig, test/faults/net1): its
 * transaction holds the type's settings row locked, and to the server a black-holed connection looks
 * open, so every other drone's claim of that type would wait on the lock until TCP gave up (minutes).
 * The claim bounds how long its transaction may sit idle (src/queue/postgres/flow.ts), so the server
 * ends the silent session and the others go on.
 */

const schema = uniqueSchema('pgflowcut')
const drivers: PostgresDriver[] = []
const sockets: net.Socket[] = []
let server: net.Server | null = null
let admin: pg.Client

/**
 * A proxy that black-holes a connection right after forwarding the client's bytes that name `marker`
 * (a named statement's Parse or Bind): the server runs that statement, the reply never arrives, and
 * the server never learns the client is gone (a close from the client is not passed on).
 */
async function freezingProxy(marker: string): Promise<{ port: number; frozen: () => number }> {
  let frozen = 0
  server = net.createServer((client) => {
    const upstream = net.connect(Number(new URL(TEST_PG).port || 5432), '127.0.0.1')
    sockets.push(client, upstream)
    let cut = false
    client.on('data', (d) => {
      if (cut) return
      upstream.write(d)
      if (d.includes(marker)) {
        cut = true
        frozen++
      }
    })
    upstream.on('data', (d) => {
      if (!cut) client.write(d)
    })
    client.on('error', () => undefined)
    upstream.on('error', () => undefined)
    client.on('close', () => {
      if (!cut) upstream.destroy()
    })
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return { port: (server.address() as net.AddressInfo).port, frozen: () => frozen }
}

beforeAll(async () => {
  const d = await PostgresDriver.open({ connectionString: TEST_PG, schema })
  drivers.push(d)
  await d.schemaMigrate()
  admin = new pg.Client({ connectionString: TEST_PG })
  await admin.connect()
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  for (const d of drivers) await d.close().catch(() => undefined)
  await admin.end()
  await dropSchema(schema)
})

it('a drone cut off mid-claim does not hold a limited type from the other drones', async () => {
  const [setup] = drivers
  await setup!.typeSettingsPut({ type: 'lim', settings: { paused: false, maxRunning: 10, rate: null, groupMaxRunning: null, groupRate: null } })
  await setup!.taskInsertMany({ tasks: [0, 1, 2].map((i) => validateNewTask({ type: 'lim', payload: { i } }, { maxPayloadBytes: 1 << 20 })) })
  const proxy = await freezingProxy('swarmage_flow_lock')
  const url = new URL(TEST_PG)
  url.host = `127.0.0.1:${proxy.port}`
  // The cut drone waits long (as one on a slow link would); the server must not wait on it.
  const cut = await PostgresDriver.open({ connectionString: url.toString(), schema, applicationName: `${schema}-cut`, queryTimeoutMs: 60_000 })
  const other = await PostgresDriver.open({ connectionString: TEST_PG, schema, queryTimeoutMs: 60_000 })
  drivers.push(cut, other)
  const claim = (d: PostgresDriver, name: string) => d.taskClaim({ droneId: name, droneName: name, wants: [{ type: 'lim', limit: 1 }], leaseMs: 30_000 })
  const cutClaim = claim(cut, 'cut').then(
    () => 'answered',
    () => 'failed',
  )
  await until(() => proxy.frozen() === 1, 10_000, 'the cut drone to send its settings lock')
  // The lock is taken: the cut drone's session sits idle in its transaction.
  await until(
    async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`, [`${schema}-cut`])).rowCount === 1,
    10_000,
    "the cut drone's session to hold its transaction",
  )
  const claimed = await Promise.race([claim(other, 'other'), new Promise<null>((r) => setTimeout(() => r(null), 20_000).unref())])
  expect(claimed?.length, 'the other drone claims within 20 s').toBe(1)
  // The server ended the silent session: its lock is gone and it holds nothing.
  const left = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'`, [`${schema}-cut`])
  expect(left.rowCount).toBe(0)
  for (const s of sockets) s.destroy()
  expect(await cutClaim).toBe('failed')
})
