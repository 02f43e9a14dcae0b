import type pg from 'pg'
import { SchemaError } from '../../core/errors.ts'
import { channelFor, quoteIdent, quoteLiteral } from './ident.ts'

/**
 * The PostgreSQL schema, as numbered, append-only migrations: never edit one that has shipped, add
 * the next number. Each runs inside the migration transaction, with `S` the quoted schema name.
 */
export interface Migration {
  version: number
  name: string
  sql: (S: string) => string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tasks, logs, attempts, drones, settings, maintenance lease',
    sql: (S) => `
-- JSON columns are json, not jsonb: the queue never looks inside them, json keeps the text exactly
-- as given (a claim hands back the payload byte for byte, key order included), costs no parse into
-- binary on insert nor re-serialization on claim, and accepts every escape JSON.stringify writes.
CREATE TABLE ${S}.tasks (
  id               uuid PRIMARY KEY,
  type             text NOT NULL,
  payload          json NOT NULL,
  state            text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  priority         integer NOT NULL DEFAULT 0,
  run_at           timestamptz NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL,
  key              text,
  parent_id        uuid,
  result           json,
  error            json,
  drone            text,
  claimed_by       text,
  lease_seq        bigint NOT NULL DEFAULT 0,
  lease_expires_at timestamptz,
  worker_pid       integer,
  progress         json,
  created_at       timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz
) WITH (
  -- Every claim, completion and lease extension rewrites the row (state and lease_expires_at are
  -- indexed, so updates are not HOT); free space on the page keeps the new version beside the old.
  fillfactor = 80,
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.02
);
-- Claim: one index range per wanted type, already in claim order.
CREATE INDEX tasks_claim ON ${S}.tasks (type, priority DESC, run_at) WHERE state = 'queued';
-- Rescue: running tasks by lease expiry (only running tasks hold a lease). The predicate is on
-- lease_expires_at, not state, on purpose: completions fence on state = 'running', and with stale
-- statistics (0 running at the last ANALYZE) the planner would walk every running task through an
-- index whose predicate that fence implies, instead of probing the primary key by id.
CREATE INDEX tasks_rescue ON ${S}.tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
-- List paging (keyset on created_at, id), and pruning from the oldest end.
CREATE INDEX tasks_list ON ${S}.tasks (created_at DESC, id DESC);
-- Idempotent enqueue: one live task per key. ON CONFLICT names this predicate exactly.
CREATE UNIQUE INDEX tasks_live_key ON ${S}.tasks (key) WHERE key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX tasks_parent ON ${S}.tasks (parent_id) WHERE parent_id IS NOT NULL;

-- No foreign keys to tasks: a log line or attempt written while its task is being deleted must not
-- fail the batch it arrived in; deletes and pruning remove them explicitly.
-- Logs and attempts are append-only and always read by task: no primary key, so each row costs one
-- index insert (task_id, id), not two. Every completion writes an attempt row on the hot path.
CREATE TABLE ${S}.task_logs (
  id       bigint GENERATED ALWAYS AS IDENTITY,
  task_id  uuid NOT NULL,
  attempt  integer NOT NULL,
  level    text NOT NULL,
  message  text NOT NULL,
  data     json,
  at       timestamptz NOT NULL
);
CREATE INDEX task_logs_task ON ${S}.task_logs (task_id, id);

CREATE TABLE ${S}.task_attempts (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  task_id     uuid NOT NULL,
  attempt     integer NOT NULL,
  drone       text,
  worker_pid  integer,
  started_at  timestamptz,
  finished_at timestamptz NOT NULL,
  outcome     text NOT NULL,
  error       json
);
CREATE INDEX task_attempts_task ON ${S}.task_attempts (task_id, id);

CREATE TABLE ${S}.drones (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  host       text NOT NULL,
  pid        integer NOT NULL,
  started_at timestamptz NOT NULL,
  last_seen  timestamptz NOT NULL,
  info       json NOT NULL DEFAULT '{}'
);

CREATE TABLE ${S}.settings (
  name  text PRIMARY KEY,
  value jsonb NOT NULL
);

CREATE TABLE ${S}.maintenance_lease (
  name       text PRIMARY KEY,
  holder     text,
  expires_at timestamptz NOT NULL
);
INSERT INTO ${S}.maintenance_lease (name, holder, expires_at) VALUES ('maintenance', NULL, '-infinity');
`,
  },
  {
    version: 2,
    name: 'flow control: task groups, per-type settings, recent starts',
    sql: (S) => `
-- No default: adding the column rewrites nothing. "group" is a reserved word, hence grp.
ALTER TABLE ${S}.tasks ADD COLUMN grp text;
-- One row per type that has flow settings. With no rows the claim stays its plain form (one probe of
-- this empty table); the claim locks a type's row while it counts, so concurrent claims of a limited
-- type are serialized and its counts are exact.
CREATE TABLE ${S}.type_settings (
  type              text PRIMARY KEY,
  paused            boolean NOT NULL DEFAULT false,
  max_running       integer,
  rate              text,
  rate_n            integer,
  rate_ms           float8,
  group_max_running integer,
  group_rate        text,
  group_rate_n      integer,
  group_rate_ms     float8
);
-- The sliding-window log of recent starts of rate-limited types (grp '' = the type-wide rate), written
-- and pruned by the claim in its own transaction.
CREATE TABLE ${S}.task_starts (
  type text NOT NULL,
  grp  text NOT NULL,
  at   timestamptz NOT NULL
);
CREATE INDEX task_starts_window ON ${S}.task_starts (type, grp, at);
`,
  },
  {
    version: 3,
    name: 'schedules',
    sql: (S) => `
-- Schedules (docs/architecture.md#schedules): one row per named cron schedule. next_tick is the tick
-- the schedulers of every drone act on next (NULL until one anchors it); revision makes every change
-- a compare-and-set, so of the drones that read one row exactly one enqueues its tick.
CREATE TABLE ${S}.schedules (
  name         text PRIMARY KEY,
  cron         text NOT NULL,
  timezone     text NOT NULL,
  type         text NOT NULL,
  payload      json NOT NULL,
  priority     integer NOT NULL,
  max_attempts integer NOT NULL,
  catch_up_ms  bigint NOT NULL,
  overlap      text NOT NULL CHECK (overlap IN ('allow', 'skip')),
  paused       boolean NOT NULL DEFAULT false,
  next_tick    timestamptz,
  last_tick    timestamptz,
  last_task_id uuid,
  revision     bigint NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 4,
    name: 'enqueue function',
    // Schema-qualified and with the schema's channel baked in: the function of each schema enqueues
    // into that schema. Mirrors validateNewTask's rules for the fields a caller can give.
    sql: (S) => `
-- ${S}.enqueue(type, payload, options): enqueue from SQL (a trigger, a non-Node service), in the
-- caller's transaction. options keys: priority, maxAttempts, delayMs, runAt, key, group, parentId.
-- Returns the new task's id, or the live task's id when a task with the same key is queued or running.
CREATE FUNCTION ${S}.enqueue(p_type text, p_payload jsonb DEFAULT 'null', p_options jsonb DEFAULT '{}')
RETURNS uuid LANGUAGE plpgsql AS $fn$
DECLARE
  o jsonb := coalesce(p_options, '{}');
  v_id uuid;
  v_run_at timestamptz;
BEGIN
  IF p_type IS NULL OR p_type !~ '^[A-Za-z0-9_.:/-]{1,100}$' THEN
    RAISE EXCEPTION 'invalid task type %: expected 1-100 characters of A-Z a-z 0-9 _ . : / -', p_type USING ERRCODE = '22023';
  END IF;
  IF o ? 'runAt' AND o ? 'delayMs' THEN
    RAISE EXCEPTION 'give either delayMs or runAt, not both' USING ERRCODE = '22023';
  END IF;
  v_run_at := coalesce((o->>'runAt')::timestamptz, now() + coalesce((o->>'delayMs')::float8, 0) * interval '1 millisecond');
  INSERT INTO ${S}.tasks (id, type, payload, priority, run_at, max_attempts, key, parent_id, grp, created_at)
  VALUES (gen_random_uuid(), p_type, p_payload::json, coalesce((o->>'priority')::int, 0), v_run_at,
          coalesce((o->>'maxAttempts')::int, 5), o->>'key', (o->>'parentId')::uuid, o->>'group',
          date_trunc('milliseconds', now()))
  ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    SELECT id INTO v_id FROM ${S}.tasks WHERE key = o->>'key' AND state IN ('queued', 'running') LIMIT 1;
    RETURN v_id;
  END IF;
  IF v_run_at <= now() THEN
    -- The drones' wake-up, delivered when the caller's transaction commits.
    PERFORM pg_notify(${quoteLiteral(channelFor(unquoteIdent(S)))}, json_build_object('t', json_build_array(p_type))::text);
  END IF;
  RETURN v_id;
END
$fn$;
`,
  },
  {
    version: 5,
    name: 'traceparent',
    // A nullable column without a default: PostgreSQL adds it without rewriting the table.
    sql: (S) => `
-- Tracing (docs/architecture.md#tracing): the W3C traceparent of the context that enqueued the task,
-- continued by its claim and run. NULL when nothing traced the enqueue.
ALTER TABLE ${S}.tasks ADD COLUMN traceparent text;
`,
    },
    {
    version: 6,
    name: 'captured output: task_logs.stream',
    sql: (S) => `
-- Captured output (docs/architecture.md#captured-output): a log line is a ctx.log call ('log') or a
-- line the handler wrote to stdout or stderr. A constant default rewrites nothing (PostgreSQL 11+).
ALTER TABLE ${S}.task_logs ADD COLUMN stream text NOT NULL DEFAULT 'log';
`,
  },
  {
    version: 7,
    name: 'succeeded attempts kept on the task row; tasks_list without running tasks',
    sql: (S) => `
-- A succeeded attempt is no longer a task_attempts row (one heap row and one index entry per task on
-- the hot path, ~20% of a completion batch's server time: docs/performance.md#third-round): the task
-- row already holds its attempt number, drone, worker pid and finish time, and this column the
-- worker's own start time. taskAttemptList reads it back as the last attempt. Nullable, no default:
-- adding it rewrites nothing, and it is in no index, so it costs updates nothing.
ALTER TABLE ${S}.tasks ADD COLUMN worker_started_at timestamptz;
-- The list index without running tasks: every claim rewrites its row (a non-HOT update), and each
-- new row version was one more entry in every index whose predicate it met; running tasks are few
-- (what the drones hold) and the list reads them through tasks_rescue (list.ts). The build holds
-- writes to tasks while it runs (seconds per million tasks).
DROP INDEX ${S}.tasks_list;
CREATE INDEX tasks_list ON ${S}.tasks (created_at DESC, id DESC) WHERE state <> 'running';
`,
  },
]

/** The schema name back from its quoted form (migrations are given `S` quoted). */
function unquoteIdent(S: string): string {
  return S.slice(1, -1).replace(/""/g, '"')
}

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/**
 * Advisory lock class for migrations. The object half is hashtext(schema), so two schemas migrate in
 * parallel while several processes migrating one schema queue up behind one lock.
 */
const MIGRATE_LOCK_CLASS = 0x5357_4d47 // "SWMG"

/**
 * Creates or upgrades the schema in one transaction under a transaction-scoped advisory lock: a
 * second process waits, then finds the migrations already recorded and applies nothing. Runs on a
 * client of its own (the caller's), without the pool's query timeout: a future migration building
 * an index on a big table may take minutes.
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<{ applied: number[] }> {
  const S = quoteIdent(schema)
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATE_LOCK_CLASS, schema])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${S}.migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${S}.migrations`)).rows.map((r) => r.version))
    const newest = Math.max(0, ...done)
    if (newest > LATEST_VERSION) throw newerError(schema, newest)
    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue
      await client.query(m.sql(S))
      await client.query(`INSERT INTO ${S}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name])
      applied.push(m.version)
    }
    await client.query('COMMIT')
    return { applied }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/** Throws SchemaError naming `swarmage migrate` unless the schema is at this code's version. */
export async function check(pool: pg.Pool, schema: string): Promise<void> {
  const { rows } = await pool.query<{ reg: string | null }>('SELECT to_regclass($1) AS reg', [`${quoteIdent(schema)}.migrations`])
  if (rows[0]?.reg == null) {
    throw new SchemaError(
      `the PostgreSQL schema ${quoteLiteral(schema)} is missing: run \`swarmage migrate\` (with the same --queue) to create it`,
    )
  }
  const v = await pool.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${quoteIdent(schema)}.migrations`)
  const version = v.rows[0]?.v ?? 0
  if (version > LATEST_VERSION) throw newerError(schema, version)
  if (version < LATEST_VERSION) {
    throw new SchemaError(
      `the PostgreSQL schema ${quoteLiteral(schema)} is outdated (version ${version}, this swarmage needs ${LATEST_VERSION}): ` +
        'run `swarmage migrate` (with the same --queue) to upgrade it',
    )
  }
}

function newerError(schema: string, version: number): SchemaError {
  return new SchemaError(
    `the PostgreSQL schema ${quoteLiteral(schema)} is at version ${version}, newer than this swarmage knows (${LATEST_VERSION}): upgrade swarmage`,
  )
}
