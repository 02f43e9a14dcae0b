/** JSON text fields validate as the user types: the result says what is wrong and where. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string }

export function parseJson(text: string, { allowEmpty = true }: { allowEmpty?: boolean } = {}): JsonParse {
  if (text.trim() === '') return allowEmpty ? { ok: true, value: undefined } : { ok: false, error: 'empty: enter a JSON value, e.g. {} or null' }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, error: describeJsonError(text, err) }
  }
}

/** Turns V8's "… in JSON at position 12" into "line 2, column 3: …". */
function describeJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const pos = /position (\d+)/.exec(message)
  if (!pos) return message
  const at = Number(pos[1])
  const before = text.slice(0, at)
  const line = before.split('\n').length
  const column = at - before.lastIndexOf('\n')
  return `line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '').replace(/ \(line \d+ column \d+\)$/, '')}`
}

export function pretty(value: unknown): string {
  if (value === undefined) return ''
  return JSON.stringify(value, null, 2) ?? String(value)
}

/** Detail panels show at most this much of a payload or result (a 1 MiB payload would stall layout). */
export const SHOW_MAX_CHARS = 200_000

export function prettyClipped(value: unknown, max = SHOW_MAX_CHARS): string {
  const text = pretty(value) || 'null'
  return text.length <= max ? text : `${text.slice(0, max)}\n… ${(text.length - max).toLocaleString('en')} more characters not shown`
}
