import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { parseQueueAddress, redact } from '../queue/address.ts'

/** An isolated place to measure in, never the user's queue, removed by `cleanup`. */
export interface BenchTarget {
  backend: 'sqlite' | 'postgres'
  /** Address the benchmark opens (a temp file, or a fresh schema). */
  address: string
  /** For the report: where it ran, password hidden. */
  label: string
  /** Folder for the drone's local queue. */
  workDir: string
  cleanup(): Promise<void>
}

/**
 * SQLite: a fresh file in a temp folder (beside the given file when one is named, so the same disk
 * is measured; `sqlite:` alone means the system temp folder). PostgreSQL: a fresh schema
 * `swarmage_bench_<random>` in the given database, dropped afterwards.
 */
export async function createTarget(address: string, cwd = process.cwd()): Promise<BenchTarget> {
  if (address === 'sqlite:' || address === 'sqlite') {
    return sqliteTarget(tmpdir())
  }
  const parsed = parseQueueAddress(address, cwd)
  if (parsed.kind === 'sqlite') {
    mkdirSync(dirname(parsed.path), { recursive: true })
    return sqliteTarget(dirname(parsed.path))
  }
  if (parsed.kind === 'postgres') {
    const schema = `swarmage_bench_${randomBytes(4).toString('hex')}`
    const url = new URL(parsed.connectionString)
    url.searchParams.set('schema', schema)
    const workDir = mkdtempSync(join(tmpdir(), 'swarmage-bench-'))
    return {
      backend: 'postgres',
      address: url.toString(),
      label: `${redact(parsed.connectionString)} (schema ${schema}, dropped afterwards)`,
      workDir,
      cleanup: async () => {
        rmSync(workDir, { recursive: true, force: true })
        const client = new pg.Client({ connectionString: parsed.connectionString })
        await client.connect()
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        } finally {
          await client.end()
        }
      },
    }
  }
  throw new Error(`bench measures the built-in backends only (sqlite:, postgres://), not ${parsed.kind} queues`)
}

function sqliteTarget(parent: string): BenchTarget {
  const workDir = mkdtempSync(join(parent, 'swarmage-bench-'))
  const file = join(workDir, 'bench.db')
  return {
    backend: 'sqlite',
    address: `sqlite:${file}`,
    label: `${file} (temporary)`,
    workDir,
    cleanup: async () => rmSync(workDir, { recursive: true, force: true }),
  }
}
