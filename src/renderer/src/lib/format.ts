/** Small display helpers: numbers and times in the compact forms the tables use. */

export function fmtCount(n: number): string {
  if (n < 10_000) return String(Math.round(n))
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}

export function fmtRate(perS: number): string {
  if (perS === 0) return '0/s'
  if (perS < 10) return `${perS.toFixed(1)}/s`
  return `${fmtCount(perS)}/s`
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${(ms / 60_000).toFixed(1)} min`
}

/**
 * What a duration measures (issue 16), said next to every figure: `run` is the handler's run time
 * (start to end, measured in the worker process), `wait` from enqueue or runAt to the start, `total`
 * from enqueue to the end.
 */
export type DurationKind = 'run' | 'wait' | 'total'

/** One labelled duration with the rounding every view uses (fmtMs); never negative (clocks a few µs apart clamp to 0). */
export function fmtDuration(kind: DurationKind, ms: number | null | undefined): string {
  return `${kind} ${fmtMs(ms === null || ms === undefined ? ms : Math.max(0, ms))}`
}

/** The span between two ISO times in ms, never negative; null when either is missing. */
export function spanMs(fromIso: string | null | undefined, toIso: string | null | undefined): number | null {
  if (!fromIso || !toIso) return null
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime()
  return Number.isFinite(ms) ? Math.max(0, ms) : null
}

/** "12:03:04.123" for today, else the date too: ids and times are read side by side in tables. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const time = d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0')
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString()} ${time}`
}

/** "3 s ago", "5 min ago": heartbeats and leases. */
export function fmtAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '–'
  const ms = now - new Date(iso).getTime()
  if (!Number.isFinite(ms)) return iso
  if (ms < 1500) return 'just now'
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`
  return `${(ms / 3_600_000).toFixed(1)} h ago`
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id
}
