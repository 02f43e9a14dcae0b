import type { Run } from './ledger.ts'

/**
 * The most runs in flight at once, from the ledger's start and end times (one clock: every process is
 * on this machine). A run with no end (aborted, or its process killed) counts as running until the
 * end, which can only raise the figure. At equal times an end comes before a start: a worker writes
 * its end before its outcome is sent, and the slot it frees is claimed only after that outcome is
 * stored, so a start at the same millisecond never overlapped it.
 */
export function maxOverlap(runs: readonly Run[]): number {
  const edges: Array<[number, number]> = []
  for (const r of runs) {
    edges.push([r.start, 1])
    edges.push([r.end ?? Infinity, -1])
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let max = 0
  for (const [, d] of edges) {
    now += d
    max = Math.max(max, now)
  }
  return max
}

/** maxOverlap per key (a group, a drone): key → most runs at once. */
export function maxOverlapBy(runs: readonly Run[], key: (r: Run) => string | undefined): Map<string, number> {
  const by = new Map<string, Run[]>()
  for (const r of runs) {
    const k = key(r)
    if (k === undefined) continue
    const list = by.get(k) ?? []
    list.push(r)
    by.set(k, list)
  }
  return new Map([...by].map(([k, list]) => [k, maxOverlap(list)]))
}
