/**
 * Reads the ledger the suite's worker writes (fixtures/ledger-worker.ts) and explains it: runs per
 * (task id, attempt), and for every task run more than once, why. A re-run is allowed only when the
 * earlier run was in flight at a fault: its drone was killed or cut off after it started, or its
 * worker process was killed.
 */
import { existsSync, readFileSync } from 'node:fs'

export interface LedgerLine {
  /** s: started; e: ended; x: aborted (why) */
  k: 's' | 'e' | 'x'
  why?: string
  t: string
  a: number
  p: number
  d: string
  at: number
}

export interface Run {
  task: string
  attempt: number
  pid: number
  drone: string
  start: number
  end: number | null
  /** abort reason, when the worker saw its signal abort */
  aborted?: string
}

/** A fault the scenario injected: a drone (by name) or a worker process (by pid) at a time. */
export interface Fault {
  at: number
  drone?: string
  pid?: number
  /** what was done: 'SIGKILL drone', 'cut off', 'SIGKILL worker'… */
  what: string
  /** end of the fault (cut-off restored); a drone killed stays dead: Infinity */
  until?: number
}

export function readLedger(path: string): Run[] {
  if (!existsSync(path)) return []
  const runs = new Map<string, Run>()
  const out: Run[] = []
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (text === '') continue
    let l: LedgerLine
    try {
      l = JSON.parse(text) as LedgerLine
    } catch {
      continue // a line cut by a SIGKILL mid-write cannot happen with one short write, but never trust it
    }
    const key = `${l.t}:${l.a}:${l.p}`
    if (l.k === 's') {
      const r: Run = { task: l.t, attempt: l.a, pid: l.p, drone: l.d, start: l.at, end: null }
      runs.set(key, r)
      out.push(r)
    } else if (l.k === 'x') {
      const r = runs.get(key)
      if (r) r.aborted = l.why ?? 'aborted'
    } else {
      const r = runs.get(key)
      if (r) r.end = l.at
    }
  }
  return out
}

export interface LedgerAnalysis {
  runs: number
  tasksRun: number
  /** (task, attempt) pairs executed more than once: never allowed (one outcome per attempt). */
  sameAttemptTwice: string[]
  /** extra runs, each with the fault that explains it */
  duplicates: Array<{ task: string; attempt: number; why: string }>
  /** extra runs no fault explains: a broken promise */
  unexplained: Array<{ task: string; attempt: number; drone: string; pid: number }>
  /** counts by reason, for the figures */
  why: Record<string, number>
}

/**
 * `expectedRuns(task)` says how many runs a task should have without faults (1, or its attempts for
 * tasks failing on purpose). Runs beyond that are duplicates; each must be explained by a fault.
 */
export function analyze(runs: Run[], faults: Fault[], expectedRuns: (task: string) => number = () => 1): LedgerAnalysis {
  const byTask = new Map<string, Run[]>()
  const seen = new Map<string, number>()
  for (const r of runs) {
    const list = byTask.get(r.task) ?? []
    list.push(r)
    byTask.set(r.task, list)
    const k = `${r.task}:${r.attempt}`
    seen.set(k, (seen.get(k) ?? 0) + 1)
  }
  const result: LedgerAnalysis = { runs: runs.length, tasksRun: byTask.size, sameAttemptTwice: [], duplicates: [], unexplained: [], why: {} }
  for (const [k, n] of seen) if (n > 1) result.sameAttemptTwice.push(k)
  for (const [task, list] of byTask) {
    const extra = list.length - expectedRuns(task)
    if (extra <= 0) continue
    list.sort((x, y) => x.start - y.start)
    // Every run but the last is a candidate for the duplicate; explain `extra` of them.
    const earlier = list.slice(0, -1)
    let explained = 0
    for (const r of earlier) {
      if (explained >= extra) break
      const f = faults.find((f) => inFlightAt(r, f))
      const orphan = f ? undefined : faults.find((f) => startedByOrphan(r, f))
      if (!f && !orphan) continue
      const why = f ? f.what : 'dispatched before a drone SIGKILL, started by its orphaned worker'
      explained++
      result.duplicates.push({ task, attempt: r.attempt, why })
      result.why[why] = (result.why[why] ?? 0) + 1
    }
    for (const r of earlier.slice(0, Math.max(0, extra - explained))) {
      if (result.duplicates.some((d) => d.task === task && d.attempt === r.attempt)) continue
      result.unexplained.push({ task, attempt: r.attempt, drone: r.drone, pid: r.pid })
    }
  }
  return result
}

/** The run had started before the fault and had not ended before it (or its outcome could not be recorded). */
function inFlightAt(r: Run, f: Fault): boolean {
  const matches = (f.drone !== undefined && f.drone === r.drone) || (f.pid !== undefined && f.pid === r.pid)
  if (!matches || r.start > (f.until ?? f.at)) return false
  // A cut-off drone's run may end during the cut: its completion is refused by the fence.
  return r.end === null || r.end >= f.at - 1_000
}

/**
 * A killed drone's worker process lives on until it notices (IPC disconnect, within ~1 s): tasks the
 * drone had already sent it may start in that window. They were in the drone's hands at the kill.
 */
function startedByOrphan(r: Run, f: Fault): boolean {
  return f.drone !== undefined && f.drone === r.drone && f.until === undefined && r.start > f.at && r.start - f.at < ORPHAN_WINDOW_MS
}

const ORPHAN_WINDOW_MS = 1_500

export function runsPerTask(runs: Run[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const r of runs) m.set(r.task, (m.get(r.task) ?? 0) + 1)
  return m
}
