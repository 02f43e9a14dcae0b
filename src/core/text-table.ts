/**
 * An aligned text table, for the CLI's tables and the bench's report (one definition both use, in a
 * folder both may import: the bench no longer reaches into the CLI).
 */
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
