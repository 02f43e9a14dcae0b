import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** The PostgreSQL the tests use: SWARMAGE_TEST_PG, default the local trust-auth server. */
export const TEST_PG = process.env.SWARMAGE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A fresh schema name per test file (and per call), so files run in parallel without sharing rows. */
export function uniqueSchema(prefix: string): string {
  return `t_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
}

export function pgAddress(schema: string): string {
  return `${TEST_PG}${TEST_PG.includes('?') ? '&' : '?'}schema=${schema}`
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix = 'swarmage-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Resolves when `predicate` holds, polling an in-memory condition (not a sleep-based assertion). */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
