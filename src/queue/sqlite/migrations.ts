import { SchemaError } from '../../core/errors.ts'
import type { SqliteDatabase } from '../../core/sqlite-lib.ts'

/**
 * The SQLite queue schema as numbered, append-only migrations: never edit a shipped entry, add the
 * next number. Times are integer milliseconds since the epoch on the single machine's clock (the
 * driver's Date.now()); JSON columns hold text.
 */
export interface Migration {
  version: number
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE tasks (
  id               TEXT PRIMARY KEY,
  type             TEXT NOT NULL,
  payload          TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,
  run_at           INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  key              TEXT,
  parent_id        TEXT,
  result           TEXT,
  error            TEXT,
  drone            TEXT,
  claimed_by       TEXT,
  lease_seq        INTEGER NOT NULL DEFAULT 0,
  lease_expires_at INTEGER,
  worker_pid       INTEGER,
  progress         TEXT,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER
);
-- claim: the partial index holds only queued rows, in claim order, so a claim reads LIMIT rows.
CREATE INDEX tasks_claim ON tasks (type, priority DESC, run_at, created_at) WHERE state = 'queued';
-- rescue: only running rows, by expiry.
CREATE INDEX tasks_rescue ON tasks (lease_expires_at) WHERE state = 'running';
-- list paging, newest first, overall and by state or type.
CREATE INDEX tasks_list ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_list_state ON tasks (state, created_at DESC, id DESC);
CREATE INDEX tasks_list_type ON tasks (type, created_at DESC, id DESC);
-- key dedupe: one live task per key.
CREATE UNIQUE INDEX tasks_key_live ON tasks (key) WHERE key IS NOT NULL AND state IN ('queued','running');
CREATE INDEX tasks_parent ON tasks (parent_id) WHERE parent_id IS NOT NULL;
-- prune: finished rows by finish time.
CREATE INDEX tasks_prune ON tasks (finished_at) WHERE finished_at IS NOT NULL;
-- stats: GROUP BY type, state reads this covering index only.
CREATE INDEX tasks_stats ON tasks (type, state);

CREATE TABLE task_logs (
  id      INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  level   TEXT NOT NULL,
  message TEXT NOT NULL,
  data    TEXT,
  at      INTEGER NOT NULL
);
CREATE INDEX task_logs_task ON task_logs (task_id, id);

-- One row per claim that ended: (task_id, lease_seq) is unique and in time order. WITHOUT ROWID keeps
-- rows in that key's B-tree, so recording an attempt is one B-tree insert, not a row plus an index entry.
CREATE TABLE task_attempts (
  task_id     TEXT NOT NULL,
  lease_seq   INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  drone       TEXT,
  worker_pid  INTEGER,
  started_at  INTEGER,
  finished_at INTEGER NOT NULL,
  outcome     TEXT NOT NULL,
  error       TEXT,
  PRIMARY KEY (task_id, lease_seq)
) WITHOUT ROWID;

CREATE TABLE drones (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  host       TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  info       TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE maintenance_lease (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Cross-process wake-ups: writers append, every subscriber's poller reads rows after its last id
-- when PRAGMA data_version moves. AUTOINCREMENT so pruning never lets an id be reused.
CREATE TABLE signals (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  origin TEXT NOT NULL,
  kind   TEXT NOT NULL,
  body   TEXT NOT NULL,
  at     INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    sql: `
-- Flow control (docs/architecture.md#flow-control): a task's group, per-type settings, and the
-- sliding-window log of recent starts of rate-limited types (grp '' = the type-wide rate).
ALTER TABLE tasks ADD COLUMN grp TEXT;
CREATE TABLE type_settings (
  type              TEXT PRIMARY KEY,
  paused            INTEGER NOT NULL DEFAULT 0,
  max_running       INTEGER,
  rate              TEXT,
  rate_n            INTEGER,
  rate_ms           INTEGER,
  group_max_running INTEGER,
  group_rate        TEXT,
  group_rate_n      INTEGER,
  group_rate_ms     INTEGER
);
CREATE TABLE task_starts (
  type TEXT NOT NULL,
  grp  TEXT NOT NULL,
  at   INTEGER NOT NULL
);
CREATE INDEX task_starts_window ON task_starts (type, grp, at);
`,
  },
  {
    version: 3,
    sql: `
-- Schedules (docs/architecture.md#schedules): one row per named cron schedule. next_tick is the tick
-- the schedulers of every drone act on next (NULL until one anchors it); revision makes every change
-- a compare-and-set, so of the drones that read one row exactly one enqueues its tick.
CREATE TABLE schedules (
  name         TEXT PRIMARY KEY,
  cron         TEXT NOT NULL,
  timezone     TEXT NOT NULL,
  type         TEXT NOT NULL,
  payload      TEXT NOT NULL,
  priority     INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  catch_up_ms  INTEGER NOT NULL,
  overlap      TEXT NOT NULL CHECK (overlap IN ('allow','skip')),
  paused       INTEGER NOT NULL DEFAULT 0,
  next_tick    INTEGER,
  last_tick    INTEGER,
  last_task_id TEXT,
  revision     INTEGER NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
`,
  },
  {
    version: 4,
    sql: `
-- Tracing (docs/architecture.md#tracing): the W3C traceparent of the context that enqueued the task,
-- continued by its claim and run. NULL when nothing traced the enqueue.
ALTER TABLE tasks ADD COLUMN traceparent TEXT;
`,
  },
  {
    version: 5,
    sql: `
-- Captured output (docs/architecture.md#captured-output): a log line is a ctx.log call ('log') or a
-- line the handler wrote to stdout or stderr. A constant default: existing rows read as 'log'.
ALTER TABLE task_logs ADD COLUMN stream TEXT NOT NULL DEFAULT 'log';
`,
  },
]

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

const CREATE_MIGRATIONS = `CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`

/**
 * Applies the missing migrations in one BEGIN IMMEDIATE transaction: a second process migrating at
 * the same moment waits on the write lock (busy_timeout), then finds nothing left to apply.
 */
export function migrate(db: SqliteDatabase): number[] {
  const run = db.transaction(() => {
    db.exec(CREATE_MIGRATIONS)
    const done = new Set(db.prepare('SELECT version FROM migrations').pluck().all() as number[])
    const applied: number[] = []
    const record = db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)')
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue
      db.exec(m.sql)
      record.run(m.version, Date.now())
      applied.push(m.version)
    }
    return applied
  })
  return run.immediate()
}

/** The highest applied version, or 0 when the schema does not exist. */
export function currentVersion(db: SqliteDatabase): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`).get()
  if (!table) return 0
  return (db.prepare('SELECT COALESCE(MAX(version), 0) FROM migrations').pluck().get() as number) ?? 0
}

export function checkSchema(db: SqliteDatabase, path: string): void {
  const version = currentVersion(db)
  if (version === LATEST_VERSION) return
  if (version === 0) throw new SchemaError(`the queue at sqlite:${path} has no schema yet: run \`swarmage migrate\``)
  if (version < LATEST_VERSION) {
    throw new SchemaError(`the queue at sqlite:${path} has schema version ${version}, this code needs ${LATEST_VERSION}: run \`swarmage migrate\``)
  }
  throw new SchemaError(
    `the queue at sqlite:${path} has schema version ${version}, newer than this code (${LATEST_VERSION}): upgrade swarmage (\`swarmage migrate\` cannot downgrade)`,
  )
}
