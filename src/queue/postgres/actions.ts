/**
 * The manual actions on one task (`swarmage retry|cancel|delete ID`, the console, the library), under the
 * rules derived from TRANSITIONS (src/queue/rules.ts): a refusal names the task's state at that moment.
 */
import type { Task } from '../../core/task.ts'
import { actionRefused, retryKeyConflict } from '../rules.ts'
import { pgCode } from './errors.ts'
import { isUuid } from './ident.ts'
import type { Exec } from './insert.ts'
import { toTask, type TaskRow } from './rows.ts'
import type { Statements } from './sql.ts'

export async function cancelTask(exec: Exec, sql: Statements, id: string): Promise<Task | null> {
  if (!isUuid(id)) return null
  const [row] = await exec<TaskRow>(sql.cancel, [id])
  if (row) return toTask(row)
  const state = await stateOf(exec, sql, id)
  if (state === null) return null
  throw actionRefused('cancel', id, state)
}

export async function retryTask(exec: Exec, sql: Statements, id: string): Promise<Task | null> {
  if (!isUuid(id)) return null
  let row: TaskRow | undefined
  try {
    ;[row] = await exec<TaskRow>(sql.retry, [id])
  } catch (err) {
    if (pgCode((err as { cause?: unknown }).cause) === '23505') throw retryKeyConflict(id, err)
    throw err
  }
  if (row) return toTask(row)
  const state = await stateOf(exec, sql, id)
  if (state === null) return null
  throw actionRefused('retry', id, state)
}

export async function deleteTask(exec: Exec, sql: Statements, id: string): Promise<boolean> {
  if (!isUuid(id)) return false
  const [row] = await exec<{ state: string; deleted: number }>(sql.delete, [id])
  if (!row) return false
  if (row.deleted === 0) throw actionRefused('delete', id, row.state)
  return true
}

async function stateOf(exec: Exec, sql: Statements, id: string): Promise<string | null> {
  const [row] = await exec<{ state: string }>(sql.stateOf, [id])
  return row?.state ?? null
}
