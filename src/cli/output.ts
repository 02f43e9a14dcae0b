/**
 * Output for people (aligned tables, short lines) or for programs (`--json`: one JSON document, or
 * one per line for lists; CONTRACT.md#the-command-line). Everything goes to stdout; errors go to
 * stderr through main.ts only.
 */
export interface Output {
  readonly json: boolean
  /** One JSON document on one line. */
  doc(value: unknown): void
  /** One JSON document per line (NDJSON), for lists. */
  lines(values: Iterable<unknown>): void
  text(line: string): void
  table(headers: string[], rows: Array<Array<string | number | null | undefined>>): void
}

export function createOutput(json: boolean, write: (s: string) => void = (s) => void process.stdout.write(s)): Output {
  return {
    json,
    doc: (value) => write(`${JSON.stringify(value)}\n`),
    lines: (values) => {
      // One write per 1000 lines: `tasks --json` on big lists stays fast without building one huge string.
      let buf: string[] = []
      for (const v of values) {
        buf.push(JSON.stringify(v))
        if (buf.length >= 1000) {
          write(`${buf.join('\n')}\n`)
          buf = []
        }
      }
      if (buf.length) write(`${buf.join('\n')}\n`)
    },
    text: (line) => write(`${line}\n`),
    table: (headers, rows) => write(formatTable(headers, rows)),
  }
}

export function formatTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)))
  // Numbers read best right-aligned; a column is numeric when every cell is.
  const numeric = headers.map((_, i) => cells.length > 0 && cells.every((r) => /^-?[\d.,]+( ?[a-zA-Z/%]+)?$|^-$/.test(r[i] ?? '')))
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [fmt(headers), ...cells.map(fmt)].join('\n') + '\n'
}

/** "2026-11-28T01:02:03.456Z" → "2026-11-28 01:02:03" for tables (the JSON keeps the full ISO time). */
export function shortTime(iso: string | null | undefined): string | null {
  if (!iso) return null
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')
}
