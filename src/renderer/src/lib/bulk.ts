/**
 * Bulk enqueue from the console (issue 16): tasks from a count and a payload template, or from an
 * NDJSON file in the `swarmage enqueue --file` format. Pure, so it is unit-tested without a browser;
 * the sending (validate every batch, then store batch by batch) is `sendBulk`.
 */
import type { NewTask } from '../../../core/task.ts'
import { lineToTask } from '../../../core/task-lines.ts'

/** Tasks per tasks.enqueueMany call (the API's maximum is 1000): small enough for steady progress. */
export const BULK_BATCH = 500
export const BULK_MAX = 100_000

export type Built = { ok: true; tasks: NewTask[]; lines?: number[] } | { ok: false; error: string }

const PLACEHOLDER = /\{\{\s*i\s*\}\}/g

/** `count` tasks of `type`, the payload `template` with every `{{i}}` replaced by 1…count. */
export function templateTasks(type: string, template: string, count: number): Built {
  if (!Number.isInteger(count) || count < 1 || count > BULK_MAX) return { ok: false, error: `count: a whole number from 1 to ${BULK_MAX.toLocaleString('en')}` }
  const tasks: NewTask[] = new Array(count)
  for (let i = 1; i <= count; i++) {
    const text = template.trim() === '' ? 'null' : template.replace(PLACEHOLDER, String(i))
    try {
      tasks[i - 1] = { type, payload: JSON.parse(text) as unknown }
    } catch (err) {
      return { ok: false, error: `payload template (with i = ${i}): ${err instanceof Error ? err.message : String(err)}` }
    }
  }
  return { ok: true, tasks }
}

/** One task per non-blank line; the first bad line is named by its number and nothing is kept. */
export function ndjsonTasks(text: string): Built {
  const tasks: NewTask[] = []
  const lines: number[] = []
  const all = text.split('\n')
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!.trim()
    if (line === '') continue
    try {
      tasks.push(lineToTask(JSON.parse(line) as unknown))
      lines.push(i + 1)
    } catch (err) {
      return { ok: false, error: `line ${i + 1}: ${err instanceof Error ? err.message : String(err)} (nothing was enqueued)` }
    }
    if (tasks.length > BULK_MAX) return { ok: false, error: `more than ${BULK_MAX.toLocaleString('en')} tasks: split the file` }
  }
  if (tasks.length === 0) return { ok: false, error: 'no tasks: expected one JSON object per line ({"type", "payload"})' }
  return { ok: true, tasks, lines }
}

export interface BulkProgress {
  phase: 'checking' | 'sending' | 'done'
  done: number
  total: number
}

type EnqueueMany = (params: { tasks: NewTask[]; lines?: number[]; dryRun: boolean }) => Promise<{ count: number; ids: string[] }>

/**
 * Checks every batch on the server first (dry run: types, options, payload sizes; an error names the
 * line), so a bad line 9,000 stores nothing; then sends the batches, reporting progress after each.
 */
export async function sendBulk(built: { tasks: NewTask[]; lines?: number[] }, enqueueMany: EnqueueMany, onProgress: (p: BulkProgress) => void): Promise<number> {
  const total = built.tasks.length
  const batches: Array<{ tasks: NewTask[]; lines?: number[] }> = []
  for (let at = 0; at < total; at += BULK_BATCH) {
    const batch: { tasks: NewTask[]; lines?: number[] } = { tasks: built.tasks.slice(at, at + BULK_BATCH) }
    if (built.lines) batch.lines = built.lines.slice(at, at + BULK_BATCH)
    batches.push(batch)
  }
  let checked = 0
  for (const b of batches) {
    await enqueueMany({ ...b, dryRun: true })
    checked += b.tasks.length
    onProgress({ phase: 'checking', done: checked, total })
  }
  let sent = 0
  for (const b of batches) {
    try {
      sent += (await enqueueMany({ ...b, dryRun: false })).count
    } catch (err) {
      // Batches already stored stay stored: say how far it got, so the operator does not send them twice.
      if (sent === 0) throw err
      const e = err as { code?: unknown; message?: unknown }
      throw Object.assign(new Error(`${sent.toLocaleString('en')} of ${total.toLocaleString('en')} tasks were enqueued, then: ${typeof e.message === 'string' ? e.message : String(err)}`), { code: e.code })
    }
    onProgress({ phase: 'sending', done: sent, total })
  }
  onProgress({ phase: 'done', done: sent, total })
  return sent
}
