/**
 * Security (issue 4): least-privilege PostgreSQL roles. An owner role migrates; a drone role that can
 * only read and write task rows (no DDL) runs a real drone; a read-only console role can read but not
 * write. Role names are unique per run (roles are cluster-wide); docs/reliability.md documents them.
 */
import { join } from 'node:path'
import pg from 'pg'
import { expect, it } from 'vitest'
import { openQueue } from '../../src/queue/open.ts'
import { TEST_PG, uniqueSchema } from '../helpers.ts'
import { DroneProc, droneConfig, scenario } from './lib/drones.ts'
import { recordFigures } from './lib/figures.ts'
import { readLedger } from './lib/ledger.ts'
import { LEDGER_WORKER } from './lib/mode.ts'
import { settle } from './lib/wait.ts'

const suffix = Math.random().toString(36).slice(2, 8)
const ROLES = { owner: `swarmage_owner_${suffix}`, drone: `swarmage_drone_${suffix}`, ro: `swarmage_console_ro_${suffix}` }
const schema = uniqueSchema('sec1')
const admin = new pg.Client({ connectionString: TEST_PG, application_name: 'faults-admin' })
const as = (role: string): string => {
  const u = new URL(TEST_PG)
  u.username = role
  u.password = ''
  return u.toString()
}

const { tmp, drones } = scenario('sec1', async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined)
  const db = new URL(TEST_PG).pathname.slice(1)
  for (const r of Object.values(ROLES)) {
    await admin.query(`REVOKE ALL ON DATABASE "${db}" FROM "${r}"`).catch(() => undefined)
    await admin.query(`DROP OWNED BY "${r}"`).catch(() => undefined)
    await admin.query(`DROP ROLE IF EXISTS "${r}"`).catch(() => undefined)
  }
  await admin.end()
})

/** Runs SQL as a role; resolves to the error message, or '' when it succeeded. */
async function tryAs(role: string, sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: as(role) })
  await c.connect()
  try {
    await c.query(sql)
    return ''
  } catch (err) {
    return (err as Error).message
  } finally {
    await c.end()
  }
}

it('a drone works under a least-privilege role without DDL rights', async () => {
  const t0 = Date.now()
  await admin.connect()
  const db = new URL(TEST_PG).pathname.slice(1)
  for (const r of Object.values(ROLES)) await admin.query(`CREATE ROLE "${r}" LOGIN`)
  await admin.query(`GRANT CREATE ON DATABASE "${db}" TO "${ROLES.owner}"`)
  // The owner migrates (creates the schema it then owns).
  const ownerQueue = await openQueue(`${as(ROLES.owner)}?schema=${schema}`, { migrate: true })
  await ownerQueue.close()
  // The owner grants row access only (as in docs/reliability.md#security-postgresql-roles).
  const owner = new pg.Client({ connectionString: as(ROLES.owner) })
  await owner.connect()
  await owner.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${ROLES.drone}", "${ROLES.ro}"`)
  await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${ROLES.drone}"`)
  await owner.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${ROLES.drone}"`)
  await owner.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO "${ROLES.ro}"`)
  await owner.end()

  const ddl = await tryAs(ROLES.drone, `CREATE TABLE "${schema}".intruder (x int)`)
  const dropTable = await tryAs(ROLES.drone, `DROP TABLE "${schema}".tasks`)
  const roWrite = await tryAs(ROLES.ro, `DELETE FROM "${schema}".tasks`)
  const roRead = await tryAs(ROLES.ro, `SELECT count(*) FROM "${schema}".tasks`)

  // A real drone and enqueue under the drone role.
  const ledger = join(tmp.dir, 'ledger.ndjson')
  const drone = new DroneProc(
    droneConfig({ schema }, 'least', tmp.dir, { connectionString: as(ROLES.drone), workers: { work: { module: LEDGER_WORKER, config: { ledger }, concurrency: 4 } }, drone: { pollMs: 200 } }),
  )
  drones.push(drone)
  let droneError = ''
  await drone.running().catch((err: Error) => (droneError = err.message.split('\n')[0]!.slice(0, 300)))
  let settled = false
  let succeeded = 0
  if (!droneError) {
    const queue = await openQueue(`${as(ROLES.drone)}?schema=${schema}`)
    await queue.enqueueMany(Array.from({ length: 50 }, (_, n) => ({ type: 'work', payload: { n } })))
    await queue.close()
    const s = await settle(admin, schema, 30_000)
    settled = s.settled
    succeeded = s.counts.succeeded ?? 0
  }
  const figures = recordFigures(
    {
      id: 'sec1',
      title: 'Least-privilege PostgreSQL roles',
      size: 'owner migrates; a drone and enqueue run as the drone role (row access only); a read-only console role',
      runs: readLedger(ledger).length,
      faults: 0,
      lost: droneError ? 50 : 50 - succeeded,
      duplicates: 0,
      duplicatesWhy: {},
      recoverMs: null,
      extra: { 'drone role DDL': ddl ? 'refused' : 'ALLOWED', 'read-only role write': roWrite ? 'refused' : 'ALLOWED', ...(droneError ? { 'drone under its role': droneError } : {}) },
      checks: {
        'drone role has no DDL rights': ddl !== '' && dropTable !== '',
        'read-only role cannot write': roWrite !== '' && roRead === '',
        'drone works under its role': droneError === '' && settled && succeeded === 50,
      },
    },
    t0,
  )
  expect(figures.checks).toEqual(Object.fromEntries(Object.keys(figures.checks).map((k) => [k, true])))
})
