import { SwarmageError } from '../../core/errors.ts'
import type { TaskInsert } from '../../core/task.ts'
import { tasksJson } from './batch-json.ts'
import { textSafe } from './ident.ts'
import type { Statement, Statements } from './sql.ts'

/** Runs one named statement (on the pool, or on a client holding a transaction). */
export type Exec = <R>(stmt: Statement, values: unknown[]) => Promise<R[]>

/**
 * Payload bytes per insert statement. One statement is one round trip, but a batch of 1,000 payloads
 * of up to 1 MiB each could exceed what one protocol message (and one JS string) can carry; bigger
 * batches are split into statements of about this size inside one transaction.
 */
export const INSERT_STATEMENT_BYTES = 16 * 1024 * 1024

/** Attempts to settle ids of keyed tasks whose live duplicate finished while we inserted. */
const INSERT_KEY_RETRIES = 3

/**
 * Rows per insert statement. Per-row cost fell with the batch up to about this size (measured with
 * the array statement under a generic plan: 1,000 rows 15–17 µs/row, 5,000 rows 12.6–13.2 µs/row,
 * 10,000 no better) while one statement's memory stays small.
 */
export const INSERT_STATEMENT_ROWS = 5000

/**
 * Splits a batch into runs whose payloads total at most `maxBytes` (a single bigger task is alone)
 * and of at most `maxRows` rows.
 */
export function chunkByBytes(tasks: TaskInsert[], maxBytes = INSERT_STATEMENT_BYTES, maxRows = INSERT_STATEMENT_ROWS): TaskInsert[][] {
  const chunks: TaskInsert[][] = []
  let current: TaskInsert[] = []
  let bytes = 0
  for (const t of tasks) {
    const size = t.payloadJson.length * 3 // UTF-8 upper bound, without encoding it
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxRows)) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(t)
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

async function insertOne(exec: Exec, sql: Statements, t: TaskInsert): Promise<Array<{ id: string | null }>> {
  const rows = await exec<{ id: string }>(sql.insertOne, [t.id, t.type, t.payloadJson, t.priority, t.runAt, t.delayMs, t.maxAttempts, t.key, t.parentId, t.group === null ? null : textSafe(t.group), t.traceparent ?? null])
  // No row: the key is live (a conflict); the caller looks its task up.
  return rows.length > 0 ? rows : [{ id: null }]
}

/** One insert statement for `tasks`; returns ids in input order, live duplicates' ids for repeated keys. */
export async function insertTasks(exec: Exec, sql: Statements, tasks: TaskInsert[], depth = 0): Promise<string[]> {
  if (tasks.length === 0) return []
  const rows = tasks.length === 1 ? await insertOne(exec, sql, tasks[0]!) : await exec<{ id: string | null }>(sql.insert, [tasksJson(tasks)])
  const ids = rows.map((r) => r.id)
  const missing = ids.flatMap((id, i) => (id === null ? [i] : []))
  if (missing.length === 0) return ids as string[]
  // A keyed row conflicted with a task committed after this statement's snapshot: look it up now.
  const keys = [...new Set(missing.map((i) => tasks[i]!.key!))]
  const live = new Map((await exec<{ key: string; id: string }>(sql.liveKeys, [keys])).map((r) => [r.key, r.id]))
  const again: number[] = []
  for (const i of missing) {
    const id = live.get(tasks[i]!.key!)
    if (id === undefined) again.push(i)
    else ids[i] = id
  }
  if (again.length > 0) {
    // ...and that task finished before the lookup: insert these rows once more.
    if (depth >= INSERT_KEY_RETRIES) {
      throw new SwarmageError('enqueue raced with tasks of the same key finishing; try again', { retryable: true })
    }
    const retried = await insertTasks(
      exec,
      sql,
      again.map((i) => tasks[i]!),
      depth + 1,
    )
    again.forEach((i, j) => (ids[i] = retried[j]!))
  }
  return ids as string[]
}
