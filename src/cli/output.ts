/**
 * Output for people (aligned tables, short lines) or for programs (`--json`: one JSON document, or
 * one per line for lists; CONTRACT.md#the-command-line). Everything goes to stdout; errors go to
 * stderr through main.ts only.
 */
import { formatTable } from '../core/text-table.ts'

export { formatTable } from '../core/text-table.ts'

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

/** "2026-11-28T01:02:03.456Z" → "2026-11-28 01:02:03" for tables (the JSON keeps the full ISO time). */
export function shortTime(iso: string | null | undefined): string | null {
  if (!iso) return null
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')
}
