import { InputError } from '../../core/errors.ts'
import type { TaskListParams } from '../driver.ts'
import { isUuid, quoteIdent } from './ident.ts'
import { TASK_COLUMNS } from './sql.ts'

type ListParams = Omit<TaskListParams, 'limit' | 'before'> & Partial<Pick<TaskListParams, 'limit' | 'before'>> & { cap?: number }

/**
 * taskList/taskCount vary by which filters are given, so their text is built per call (values still
 * bound). Order is the keyset (created_at DESC, id DESC) that tasks_list serves (with running tasks beside it).
 */
export function listQuery(schema: string, params: ListParams, mode: 'list' | 'count'): { text: string; values: unknown[] } {
  const values: unknown[] = []
  const where: string[] = []
  const bind = (v: unknown): string => {
    values.push(v)
    return `$${values.length}`
  }
  if (params.state !== undefined) where.push(`state = ${bind(params.state)}`)
  if (params.type !== undefined) where.push(`type = ${bind(params.type)}`)
  if (params.parentId !== undefined) {
    // Not an id: matches nothing (rather than a cast error).
    where.push(isUuid(params.parentId) ? `parent_id = ${bind(params.parentId)}` : 'false')
  }
  if (params.search !== undefined && params.search !== '') {
    const pattern = bind(`%${params.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    where.push(`(payload::text ILIKE ${pattern} OR error::text ILIKE ${pattern})`)
  }
  const table = `${quoteIdent(schema)}.tasks`
  if (mode === 'count') {
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : ''
    const cap = params.cap === undefined ? '' : ` LIMIT ${bind(params.cap)}`
    return { text: `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${table} ${filter}${cap}) c`, values }
  }
  if (params.before) {
    if (!isUuid(params.before.id)) throw new InputError('before.id must be a task id')
    const at = new Date(params.before.createdAt)
    if (Number.isNaN(at.getTime())) throw new InputError('before.createdAt must be an ISO-8601 date')
    where.push(`(created_at, id) < (${bind(at)}::timestamptz, ${bind(params.before.id)}::uuid)`)
  }
  // tasks_list leaves running tasks out (migration 7: a claim then adds no entry to it), so a page is
  // the merge of two ordered reads: the other states through tasks_list, running tasks (few: what
  // the drones hold; every one has a lease) through tasks_rescue.
  const limit = bind(params.limit ?? 100)
  const part = (extra: string) =>
    `(SELECT ${TASK_COLUMNS} FROM ${table} WHERE ${[...where, extra].join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${limit})`
  return {
    text: `SELECT ${TASK_COLUMNS} FROM (${part(`state <> 'running'`)} UNION ALL ${part(`lease_expires_at IS NOT NULL AND state = 'running'`)}) p
      ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
    values,
  }
}
