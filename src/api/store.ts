/**
 * The console's own settings, in `<dataDir>/console.db` (SQLite): saved connections, worker
 * definitions, drones to restore on the next start, the activity list (audit.ts), and a few flags (first-run seeding). Small and
 * synchronous: every call is one short statement, so nothing here is worth an async API.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { openSqlite, type SqliteDatabase } from '../core/sqlite-lib.ts'
import { ACTIVITY_KEEP, type ActivityEntry } from './audit.ts'

/** Numbered and append-only: a migration is never edited once shipped. */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE connection (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, path TEXT, address TEXT, host TEXT,
     port INTEGER, database TEXT, user TEXT, password BLOB, sslmode TEXT, schema TEXT,
     created_at INTEGER NOT NULL);
   CREATE TABLE worker_definition (
     id TEXT PRIMARY KEY, type TEXT NOT NULL, module TEXT NOT NULL, processes INTEGER NOT NULL,
     concurrency INTEGER NOT NULL, config_json TEXT, task_timeout_ms INTEGER, watch INTEGER NOT NULL,
     example TEXT, created_at INTEGER NOT NULL);
   CREATE TABLE drone (
     name TEXT PRIMARY KEY, connection_id TEXT NOT NULL, worker_ids_json TEXT NOT NULL,
     created_at INTEGER NOT NULL);`,
  // The activity list (audit.ts): one row per operator action.
  `CREATE TABLE activity (
     id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
     target TEXT NOT NULL, outcome TEXT NOT NULL);`,
]

export interface ConnectionRow {
  id: string
  name: string
  kind: 'sqlite' | 'postgres'
  path: string | null
  address: string | null
  host: string | null
  port: number | null
  database: string | null
  user: string | null
  /** encrypted by the SecretStore; never leaves the service */
  password: Buffer | null
  sslmode: string | null
  schema: string | null
}

export interface DefinitionRow {
  id: string
  type: string
  module: string
  processes: number
  concurrency: number
  config_json: string | null
  task_timeout_ms: number | null
  watch: number
  /** the example's type when this is a seeded example (its path is re-resolved on start) */
  example: string | null
}

export interface DroneRow {
  name: string
  connectionId: string
  workerIds: string[]
}

export class SettingsStore {
  private constructor(private readonly db: SqliteDatabase) {}

  static open(dataDir: string): SettingsStore {
    mkdirSync(dataDir, { recursive: true })
    const db = openSqlite(join(dataDir, 'console.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('busy_timeout = 5000')
    const version = db.pragma('user_version', { simple: true }) as number
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!)
        db.pragma(`user_version = ${v + 1}`)
      })()
    }
    return new SettingsStore(db)
  }

  getMeta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    return row?.value ?? null
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  listConnections(): ConnectionRow[] {
    return this.db.prepare('SELECT * FROM connection ORDER BY created_at, id').all() as ConnectionRow[]
  }

  getConnection(id: string): ConnectionRow | null {
    return (this.db.prepare('SELECT * FROM connection WHERE id = ?').get(id) as ConnectionRow | undefined) ?? null
  }

  putConnection(row: ConnectionRow): void {
    this.db
      .prepare(
        `INSERT INTO connection (id, name, kind, path, address, host, port, database, user, password, sslmode, schema, created_at)
         VALUES (@id, @name, @kind, @path, @address, @host, @port, @database, @user, @password, @sslmode, @schema, @now)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, path = excluded.path,
           address = excluded.address, host = excluded.host, port = excluded.port, database = excluded.database,
           user = excluded.user, password = excluded.password, sslmode = excluded.sslmode, schema = excluded.schema`,
      )
      .run({ ...row, now: Date.now() })
  }

  removeConnection(id: string): boolean {
    return this.db.prepare('DELETE FROM connection WHERE id = ?').run(id).changes > 0
  }

  listDefinitions(): DefinitionRow[] {
    return this.db.prepare('SELECT * FROM worker_definition ORDER BY created_at, id').all() as DefinitionRow[]
  }

  putDefinition(row: DefinitionRow): void {
    this.db
      .prepare(
        `INSERT INTO worker_definition (id, type, module, processes, concurrency, config_json, task_timeout_ms, watch, example, created_at)
         VALUES (@id, @type, @module, @processes, @concurrency, @config_json, @task_timeout_ms, @watch, @example, @now)
         ON CONFLICT (id) DO UPDATE SET type = excluded.type, module = excluded.module, processes = excluded.processes,
           concurrency = excluded.concurrency, config_json = excluded.config_json, task_timeout_ms = excluded.task_timeout_ms,
           watch = excluded.watch, example = excluded.example`,
      )
      .run({ ...row, now: Date.now() })
  }

  removeDefinition(id: string): boolean {
    return this.db.prepare('DELETE FROM worker_definition WHERE id = ?').run(id).changes > 0
  }

  listDrones(): DroneRow[] {
    const rows = this.db.prepare('SELECT * FROM drone ORDER BY created_at, name').all() as Array<{ name: string; connection_id: string; worker_ids_json: string }>
    return rows.map((r) => ({ name: r.name, connectionId: r.connection_id, workerIds: JSON.parse(r.worker_ids_json) as string[] }))
  }

  putDrone(row: DroneRow): void {
    this.db
      .prepare(
        `INSERT INTO drone (name, connection_id, worker_ids_json, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET connection_id = excluded.connection_id, worker_ids_json = excluded.worker_ids_json`,
      )
      .run(row.name, row.connectionId, JSON.stringify(row.workerIds), Date.now())
  }

  removeDrone(name: string): void {
    this.db.prepare('DELETE FROM drone WHERE name = ?').run(name)
  }

  /** Appends one activity line and prunes beyond ACTIVITY_KEEP (by id: one indexed range delete). */
  addActivity(entry: Omit<ActivityEntry, 'id'>): ActivityEntry {
    const at = Date.parse(entry.at)
    const id = Number(this.db.prepare('INSERT INTO activity (at, who, action, target, outcome) VALUES (?, ?, ?, ?, ?)').run(at, entry.who, entry.action, entry.target, entry.outcome).lastInsertRowid)
    if (id % 100 === 0) this.db.prepare('DELETE FROM activity WHERE id <= ?').run(id - ACTIVITY_KEEP)
    return { id, ...entry }
  }

  /** Newest first; `beforeId` pages back. */
  listActivity(limit: number, beforeId?: number): ActivityEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM activity WHERE id < ? ORDER BY id DESC LIMIT ?')
      .all(beforeId ?? Number.MAX_SAFE_INTEGER, limit) as Array<Omit<ActivityEntry, 'at'> & { at: number }>
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }))
  }

  close(): void {
    this.db.close()
  }
}
