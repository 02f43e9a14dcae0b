// Server-side cost of the claim and completion statements alone, one connection, no drone:
//   node --import tsx bench/tools/sql-ceiling.ts [tasks=50000] [batch=500]
// Prints rows/s for claim+complete of the real statements and for variants, to see what each part costs.
// Ids are version 4 unless the variant says UUIDv7 (the ids tasks get since src/core/ids.ts).
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { uuidv7 } from '../../src/core/ids.ts'
import { validateNewTask } from '../../src/core/validate.ts'
import { completionsJson, tasksJson } from '../../src/queue/postgres/batch-json.ts'
import { MIGRATIONS } from '../../src/queue/postgres/migrations.ts'
import { buildStatements } from '../../src/queue/postgres/sql.ts'
import { PG } from '../lib.ts'

const N = Number(process.argv[2] ?? 50_000)
const B = Number(process.argv[3] ?? 500)
const only = process.argv[4]
const client = new pg.Client({ connectionString: PG })
await client.connect()

let makeId: () => string = randomUUID

async function setup(schema: string, extra = ''): Promise<ReturnType<typeof buildStatements>> {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`)
  for (const m of MIGRATIONS) await client.query(m.sql(schema))
  if (extra) await client.query(extra.replaceAll('$S', schema))
  const st = buildStatements(schema)
  const t0 = performance.now()
  for (let i = 0; i < N; i += 5000) {
    const n = Math.min(5000, N - i)
    const tasks = Array.from({ length: n }, () => ({ ...validateNewTask({ type: 'noop', payload: {} }, { maxPayloadBytes: 1 << 20 }), id: makeId() }))
    await client.query(st.insert.text, [tasksJson(tasks)])
  }
  if (process.env.SHOW_INSERT) console.log(`  insert ${Math.round(N / ((performance.now() - t0) / 1000))} rows/s`)
  await client.query(`VACUUM ANALYZE ${schema}.tasks`)
  return st
}

// The backend's own CPU (/proc, 10 ms ticks): on a busy machine wall time mostly measures the
// neighbours, CPU per row much less so (docs/performance.md#third-round).
const backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
const backendCpuMs = (): number => {
  const f = readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}

type Row = { id: string; lease_seq: number }
async function run(name: string, claim: (n: number) => Promise<Row[]>, complete: (rows: Row[]) => Promise<void>): Promise<void> {
  let done = 0, claimMs = 0, completeMs = 0
  const cpu0 = backendCpuMs()
  const t0 = performance.now()
  for (;;) {
    let t = performance.now()
    const rows = await claim(B)
    claimMs += performance.now() - t
    if (rows.length === 0) break
    t = performance.now()
    await complete(rows)
    completeMs += performance.now() - t
    done += rows.length
  }
  const s = (performance.now() - t0) / 1000
  console.log(`${name.padEnd(44)} ${Math.round(done / s).toString().padStart(7)} rows/s   claim ${(claimMs * 1000 / done).toFixed(1)} µs/row  complete ${(completeMs * 1000 / done).toFixed(1)} µs/row   server cpu ${((backendCpuMs() - cpu0) * 1000 / done).toFixed(1)} µs/row`)
}

async function current(label: string, extra = '', completeText?: (S: string) => string) {
  const S = 'sw_ceiling'
  const st = await setup(S, extra)
  await run(label,
    async (n) => (await client.query({ name: undefined, text: st.claim.text, values: [['noop'], [n], 'c', 'd', 30000] })).rows,
    async (rows) => {
      const batch = completionsJson(rows.map((r) => ({ id: r.id, leaseSeq: r.lease_seq, outcome: { kind: 'succeeded', resultJson: 'null' }, workerPid: 1, startedAt: new Date() })))
      await client.query(completeText ? completeText(S) : st.complete.text, [batch])
    })
}
// The issue's ceiling shape: claim with SKIP LOCKED, finish in place by id, nothing else.
async function minimal(extra = '', label = 'minimal claim + in-place finish (ceiling)') {
  const S = 'sw_ceiling'
  await setup(S, extra)
  await run(label,
    async (n) => (await client.query(`UPDATE ${S}.tasks SET state = 'running', lease_seq = lease_seq + 1 WHERE id = ANY (ARRAY(
      SELECT id FROM ${S}.tasks WHERE state = 'queued' AND type = 'noop' AND run_at <= now() ORDER BY priority DESC, run_at LIMIT $1 FOR UPDATE SKIP LOCKED))
      RETURNING id::text AS id, lease_seq::float8 AS lease_seq`, [n])).rows,
    async (rows) => { await client.query(`UPDATE ${S}.tasks SET state = 'succeeded', finished_at = now() WHERE id = ANY ($1::uuid[])`, [rows.map((r) => r.id)]) })
}
async function v7(label: string, extra = '', completeText?: (S: string) => string) {
  makeId = uuidv7
  await current(label, extra, completeText)
  makeId = randomUUID
}
/**
 * A history table (issue #13's open question): a success moves its row out of `tasks` (DELETE … RETURNING)
 * into `tasks_done`, which has only a primary key and the list index, instead of a new row version in
 * `tasks` with its index entries. Successes only, as in every variant here; the fence is the current one.
 */
async function history() {
  makeId = uuidv7
  const S = 'sw_ceiling'
  const st = await setup(S, `CREATE TABLE $S.tasks_done (LIKE $S.tasks INCLUDING DEFAULTS); ALTER TABLE $S.tasks_done ADD PRIMARY KEY (id);
    CREATE INDEX tasks_done_list ON $S.tasks_done (created_at DESC, id DESC)`)
  const cols = (await client.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tasks' ORDER BY ordinal_position`, [S])).rows.map((r) => r.c)
  const set: Record<string, string> = {
    state: `'succeeded'`, result: 'm.c_result -> 0', finished_at: 'now()', worker_pid: 'm.c_pid', lease_expires_at: 'NULL', claimed_by: 'NULL',
    worker_started_at: 'to_timestamp(m.c_started / 1000)',
  }
  const fence = st.complete.text.slice(0, st.complete.text.indexOf('), done AS ('))
  const text = `${fence}), moved AS (
      DELETE FROM "${S}".tasks t USING c WHERE t.id = c.id
      RETURNING t.*, c.result AS c_result, c.worker_pid AS c_pid, c.started_ms AS c_started, c.ord AS c_ord
    ), ins AS (
      INSERT INTO "${S}".tasks_done (${cols.map((c) => `"${c}"`).join(', ')})
      SELECT ${cols.map((c) => set[c] ?? `m."${c}"`).join(', ')} FROM moved m
    )
    SELECT c_ord::int AS ord FROM moved`
  await run('UUIDv7, successes moved to a history table',
    async (n) => (await client.query({ text: st.claim.text, values: [['noop'], [n], 'c', 'd', 30000] })).rows,
    async (rows) => {
      const batch = completionsJson(rows.map((r) => ({ id: r.id, leaseSeq: r.lease_seq, outcome: { kind: 'succeeded', resultJson: 'null' }, workerPid: 1, startedAt: new Date() })))
      const r = await client.query(text, [batch])
      if (r.rowCount !== rows.length) throw new Error(`history: moved ${r.rowCount} of ${rows.length}`)
    })
  const done = (await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${S}".tasks_done WHERE state = 'succeeded'`)).rows[0]!.n
  if (Number(done) !== N) throw new Error(`history: ${done} rows in tasks_done, expected ${N}`)
  makeId = randomUUID
}

const variants: Record<string, () => Promise<void>> = {
  history,
  current: () => current('current statements'),
  uuid7: async () => {
    makeId = uuidv7
    await current('current statements, time-ordered ids (UUIDv7)')
    makeId = randomUUID
  },
  uuid7NoList: async () => {
    makeId = uuidv7
    await current('UUIDv7, without tasks_list index', 'DROP INDEX $S.tasks_list')
    makeId = randomUUID
  },
  noAttempt: () => current('completion without attempt row', '', (S) => buildStatements(S).complete.text.replace(/, att AS \([\s\S]*?FROM done d\n {6}\)/, '')),
  // Third round (docs/performance.md#third-round): the schema knobs, each on UUIDv7 ids.
  ff50: () => v7('UUIDv7, tasks fillfactor 50', 'ALTER TABLE $S.tasks SET (fillfactor = 50)'),
  ff30: () => v7('UUIDv7, tasks fillfactor 30', 'ALTER TABLE $S.tasks SET (fillfactor = 30)'),
  noLock: () => v7('UUIDv7, completion fence without row lock', '', (S) => buildStatements(S).complete.text
    .replace(/SELECT t\.id FROM (\S+) t WHERE t\.id = i\.id AND t\.lease_seq = i\.lease_seq AND t\.state = 'running' FOR UPDATE/, "SELECT t.id FROM $1 t WHERE t.id = i.id AND t.lease_seq = i.lease_seq AND t.state = 'running' OFFSET 0")),
  listPartial: () => v7('UUIDv7, tasks_list without running tasks', "DROP INDEX $S.tasks_list; CREATE INDEX tasks_list ON $S.tasks (created_at DESC, id DESC) WHERE state <> 'running'"),
  minimal: () => minimal(),
  minimalBare: () => minimal('DROP INDEX $S.tasks_list; DROP INDEX $S.tasks_rescue', 'minimal, only the primary key and claim index'),
  noListIdx: () => current('current, without tasks_list index', 'DROP INDEX $S.tasks_list'),
  noRescueIdx: () => current('current, without tasks_rescue index', 'DROP INDEX $S.tasks_rescue'),
}
for (const [k, f] of Object.entries(variants)) if (!only || only.split(',').includes(k)) await f()
await client.query('DROP SCHEMA IF EXISTS sw_ceiling CASCADE')
await client.end()
