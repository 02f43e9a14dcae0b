import { createRequire } from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'
import { SwarmageError } from './errors.ts'

/**
 * Which better-sqlite3 a runtime loads (README "SQLite bindings"). better-sqlite3 13 is Node-API with
 * prebuilt binaries inside its npm tarball: it loads on Node 22/24 and in Electron 45 (a Node 24 line)
 * with no build, but segfaults on Node 20. better-sqlite3 12 builds for Node 20 from its install
 * script (a prebuilt download where GitHub is reachable, else g++, about a minute). The package
 * depends on 13 and, as an optional dependency, on 12 under the alias `better-sqlite3-node20`: a
 * failed build never fails `npm install`, and neither runtime rebuilds the other's binary. Same API.
 */
export const SQLITE_BINDING = Number(process.versions.node.split('.')[0]) < 22 ? 'better-sqlite3-node20' : 'better-sqlite3'

const require = createRequire(import.meta.url)
let Database: typeof BetterSqlite3 | undefined

/** Loaded on the first open, so commands that never touch SQLite never pay for it or fail on it. */
function binding(): typeof BetterSqlite3 {
  if (Database) return Database
  try {
    // Two literal requires, not require(SQLITE_BINDING): bundlers (electron-vite's out/main) see both names.
    Database = (SQLITE_BINDING === 'better-sqlite3-node20' ? require('better-sqlite3-node20') : require('better-sqlite3')) as typeof BetterSqlite3
    return Database
  } catch (err) {
    throw new SwarmageError(bindingHelp(SQLITE_BINDING, process.versions.node, err), { cause: err })
  }
}

/** The one line a user sees when the binding does not load, naming what to do. */
export function bindingHelp(name: string, nodeVersion: string, err: unknown): string {
  const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]
  if (name === 'better-sqlite3-node20') {
    return (
      `the SQLite binding for Node ${nodeVersion} (better-sqlite3-node20, an optional dependency of swarmage that builds on install) does not load: ${why}. ` +
      'Allow its install script and build it: `npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3-node20` ' +
      '(it needs python3, make and g++ where no prebuilt binary downloads), or run on Node 22 or 24, which need no build'
    )
  }
  return `the SQLite binding for Node ${nodeVersion} (better-sqlite3 13) does not load: ${why}. Reinstall it: \`npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3\``
}

export type SqliteDatabase = BetterSqlite3.Database
export type SqliteStatement<P extends unknown[] | object = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>
/**
 * A prepared statement taking any parameters, as the drivers' statement tables hold them. An interface,
 * not an alias: the declaration emit (dist/*.d.ts) must name those tables' types, and better-sqlite3's
 * alias expands to a namespace of its own that it cannot name (TS4058).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SqlitePrepared<R = unknown> extends BetterSqlite3.Statement<any[], R> {}

export function openSqlite(path: string, options?: BetterSqlite3.Options): SqliteDatabase {
  const Db = binding()
  return new Db(path, options)
}
