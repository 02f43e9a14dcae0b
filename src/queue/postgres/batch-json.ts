/**
 * Batches as one JSON parameter for the insert and complete statements (read there with
 * json_to_recordset). Values already serialized (payloads, results) are spliced in as they are, so
 * nothing is parsed or escaped twice; pg's array literals escaped every one of them and formatted
 * every date (docs/performance.md: 2.86 → 0.87 µs per 126-byte task to encode, 1.5 kB less garbage
 * per completed task in the drone).
 */
import type { Completion, TaskInsert } from '../../core/task.ts'
import { textSafe } from './ident.ts'

/**
 * An insert batch. Payloads are JSON.stringify output (valid JSON, NUL refused, lone surrogates
 * escaped), inside [ ] so a payload of null stays JSON null; keys are made text-safe first (a lone
 * surrogate, which PostgreSQL's JSON parser refuses in a text field, becomes U+FFFD, as pg's UTF-8
 * encoding made it).
 */
export function tasksJson(tasks: readonly TaskInsert[]): string {
  const parts: string[] = []
  for (const t of tasks) {
    parts.push(
      `{"id":"${t.id}","type":${JSON.stringify(t.type)},"payload":[${t.payloadJson}],"priority":${t.priority},` +
        `"run_at":${t.runAt === null ? 'null' : `"${t.runAt.toISOString()}"`},"delay_ms":${t.delayMs},"max_attempts":${t.maxAttempts},` +
        `"key":${t.key === null ? 'null' : JSON.stringify(textSafe(t.key))},"parent_id":${t.parentId === null ? 'null' : JSON.stringify(t.parentId)},` +
        `"grp":${t.group === null ? 'null' : JSON.stringify(textSafe(t.group))},` +
        // A traceparent is validated hex and dashes (src/tracing), safe as it is; JSON.stringify anyway.
        `"traceparent":${t.traceparent ? JSON.stringify(t.traceparent) : 'null'}}`,
    )
  }
  return `[${parts.join(',')}]`
}

/** A completion batch (ids already checked to be UUIDs by the driver); start times in epoch ms. */
export function completionsJson(completions: readonly Completion[]): string {
  const parts: string[] = []
  for (const c of completions) {
    const o = c.outcome
    const result = o.kind === 'succeeded' ? `[${o.resultJson ?? 'null'}]` : 'null'
    const error = o.kind === 'failed' ? JSON.stringify(o.error) : 'null'
    const delay = o.kind === 'failed' ? num(o.retryDelayMs) : 'null'
    parts.push(
      `{"id":"${c.id}","lease_seq":${num(c.leaseSeq)},"kind":${JSON.stringify(o.kind)},"result":${result},"error":${error},` +
        `"delay_ms":${delay},"worker_pid":${num(c.workerPid)},"started_ms":${num(c.startedAt?.getTime())}}`,
    )
  }
  return `[${parts.join(',')}]`
}

/** A number as JSON, or null (absent, or not finite: never invalid JSON). */
function num(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? String(x) : 'null'
}

/** A log line's data as JSON text; what JSON cannot carry is kept as its string form. */
export function logData(data: unknown): string | null {
  if (data === undefined || data === null) return null
  let json: string | undefined
  try {
    json = JSON.stringify(data)
  } catch {
    json = JSON.stringify(String(data))
  }
  return json ?? null
}

/**
 * Completion and lease-extension batches lock their rows one by one in input order: in id order (the
 * bulk statements' ORDER BY id too), two of them over the same tasks cannot deadlock. Unsorted, the
 * completer's and the lease keeper's batches did (40P01, seen in a burn-down with limits set).
 * Stable: a batch naming one task twice keeps its order.
 */
export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
