import type { z } from 'zod'

/**
 * Form checks by the contract's own zod schemas (src/api/contract.ts, src/core/*): the rule lives
 * once, where the server applies it, and the form only says it in friendlier words.
 */

/** The failing fields of `value` under `schema`: dotted path → the schema's message (first issue per path). */
export function schemaIssues(schema: z.ZodType, value: unknown): Map<string, string> {
  const r = schema.safeParse(value)
  const out = new Map<string, string>()
  if (r.success) return out
  for (const issue of r.error.issues) {
    const path = issue.path.map(String).join('.')
    if (!out.has(path)) out.set(path, issue.message)
  }
  return out
}

/** A text field's value as a number field of the schema sees it: empty → undefined, a number → that number, anything else stays text so the schema rejects it. */
export function numberField(text: string): number | string | undefined {
  const t = text.trim()
  if (t === '') return undefined
  const n = Number(t)
  return Number.isFinite(n) ? n : t
}

/** The note for one field: the friendly hint when the schema rejects it, else null. */
export function noteFor(issues: Map<string, string>, path: string, hint: string): string | null {
  return issues.has(path) ? hint : null
}
