import { createRequire } from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'

/**
 * better-sqlite3 13 is Node-API with prebuilt binaries that load in Electron 45 (Node 24 line) but
 * segfault on Node 20; better-sqlite3 12 builds for Node 20. Same API, chosen here by the runtime's
 * Node major (ENGINEERING.md), so neither runtime rebuilds the other's binary.
 */
const require = createRequire(import.meta.url)
const major = Number(process.versions.node.split('.')[0])
const Database: typeof BetterSqlite3 = major < 22 ? require('better-sqlite3-node20') : require('better-sqlite3')

export type SqliteDatabase = BetterSqlite3.Database
export type SqliteStatement<P extends unknown[] | object = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>

export function openSqlite(path: string, options?: BetterSqlite3.Options): SqliteDatabase {
  return new Database(path, options)
}
