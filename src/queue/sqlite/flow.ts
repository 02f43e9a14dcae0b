import type { SqliteDatabase, SqlitePrepared as Stmt } from '../../core/sqlite-lib.ts'
import { GROUP_USE_MAX, groupPassRows, pickInGroups, type TypeFlowUse, type TypeSettings } from '../../core/flow.ts'
import type { ClaimRow } from './rows.ts'


export interface FlowRow {
  type: string
  paused: number
  max_running: number | null
  rate: string | null
  rate_n: number | null
  rate_ms: number | null
  group_max_running: number | null
  group_rate: string | null
  group_rate_n: number | null
  group_rate_ms: number | null
}

/** The flow-control statements of the SQLite driver (docs/architecture.md#flow-control). */
export function prepareFlowStatements(db: SqliteDatabase) {
  const p = <R = unknown>(sql: string): Stmt<R> => db.prepare(sql) as Stmt<R>
  return {
    // Probed once per wanted type on every claim: on an empty table this is the whole cost of flow
    // control when it is unused.
    settingsOf: p<FlowRow>(`SELECT * FROM type_settings WHERE type = ?`),
    list: p<FlowRow>(`SELECT * FROM type_settings ORDER BY type`),
    put: p(`INSERT INTO type_settings (type, paused, max_running, rate, rate_n, rate_ms, group_max_running, group_rate, group_rate_n, group_rate_ms)
      VALUES (@type, @paused, @maxRunning, @rate, @rateN, @rateMs, @groupMaxRunning, @groupRate, @groupRateN, @groupRateMs)
      ON CONFLICT (type) DO UPDATE SET paused = excluded.paused, max_running = excluded.max_running, rate = excluded.rate,
        rate_n = excluded.rate_n, rate_ms = excluded.rate_ms, group_max_running = excluded.group_max_running,
        group_rate = excluded.group_rate, group_rate_n = excluded.group_rate_n, group_rate_ms = excluded.group_rate_ms`),
    remove: p(`DELETE FROM type_settings WHERE type = ?`),
    // Only running tasks hold a lease, so tasks_rescue reads just those.
    running: p<number>(`SELECT COUNT(*) FROM tasks INDEXED BY tasks_rescue WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = ?`).pluck(),
    starts: p<number>(`SELECT COUNT(*) FROM task_starts WHERE type = ? AND grp = ? AND at > ?`).pluck(),
    prune: p(`DELETE FROM task_starts WHERE type = ? AND at <= ?`),
    groupUse: p<{ grp: string; running: number; starts: number }>(`SELECT grp, SUM(r) AS running, SUM(s) AS starts FROM (
        SELECT grp, 1 AS r, 0 AS s FROM tasks INDEXED BY tasks_rescue
          WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = @type AND grp IS NOT NULL
        UNION ALL SELECT grp, 0, 1 FROM task_starts WHERE type = @type AND grp <> '' AND at > @since
      ) GROUP BY grp`),
    // Claim order, as the plain claim; the first @perGroup per group at most (no group can take more),
    // and the room left of groups in use (@room: {grp: n}), so full groups cannot hide the others.
    candidates: p<{ id: string; grp: string | null }>(`SELECT id, grp FROM (
        SELECT id, grp, priority, run_at, created_at,
          row_number() OVER (PARTITION BY grp ORDER BY priority DESC, run_at, created_at) AS rn
        FROM tasks WHERE state = 'queued' AND type = @type AND run_at <= @now
      ) c WHERE c.grp IS NULL OR c.rn <= coalesce((SELECT value FROM json_each(@room) WHERE key = c.grp), @perGroup)
      ORDER BY priority DESC, run_at, created_at LIMIT @limit`),
    // Without group limits the claim order alone: the tasks_claim index walk of the plain claim, where the
    // window above sorts every queued task of the type (docs/performance.md#flow-control: with
    // maxRunning and rate set, 450 → 65–86 µs of claim per task at a backlog of 20,000).
    candidatesPlain: p<{ id: string; grp: string | null }>(`SELECT id, grp FROM tasks WHERE state = 'queued' AND type = @type AND run_at <= @now
      ORDER BY priority DESC, run_at, created_at LIMIT @limit`),
    claimOne: p<ClaimRow & { grp: string | null }>(`UPDATE tasks SET state = 'running', attempts = attempts + 1, lease_seq = lease_seq + 1,
        claimed_by = @droneId, drone = @droneName, started_at = @now, lease_expires_at = @expires, worker_pid = NULL, finished_at = NULL
      WHERE id = @id AND state = 'queued'
      RETURNING id, type, payload, attempts, max_attempts, parent_id, lease_seq, priority, run_at, created_at, traceparent, grp`),
    logStart: p(`INSERT INTO task_starts (type, grp, at) VALUES (?, ?, ?)`),
    // The console's view of a type's use (flowUse below); not on the claim path.
    runnable: p<number>(`SELECT COUNT(*) FROM tasks WHERE state = 'queued' AND type = ? AND run_at <= ?`).pluck(),
    groupQueued: p<{ grp: string; n: number }>(`SELECT grp, COUNT(*) AS n FROM tasks
      WHERE state = 'queued' AND type = @type AND run_at <= @now AND grp IN (SELECT value FROM json_each(@groups)) GROUP BY grp`),
  }
}

export type FlowStatements = ReturnType<typeof prepareFlowStatements>

export interface LimitedClaim {
  droneId: string
  droneName: string
  now: number
  expires: number
  type: string
  limit: number
}

/**
 * Claims one limited type inside the caller's write transaction (SQLite has one writer at a time,
 * so the counts are exact): nothing when paused; at most what maxRunning and the sliding-window rate
 * leave; per group the same. Every start of a rate-limited type is logged in task_starts ('' for the
 * type-wide rate, the group for groupRate), and rows older than the longest window are pruned here.
 */
export function claimLimited(f: FlowStatements, s: FlowRow, c: LimitedClaim): ClaimRow[] {
  if (s.paused) return []
  let cap = c.limit
  if (s.rate_n !== null || s.group_rate_n !== null) f.prune.run(c.type, c.now - Math.max(s.rate_ms ?? 0, s.group_rate_ms ?? 0))
  if (s.max_running !== null) cap = Math.min(cap, s.max_running - f.running.get(c.type)!)
  if (s.rate_n !== null) cap = Math.min(cap, s.rate_n - f.starts.get(c.type, '', c.now - s.rate_ms!)!)
  if (cap <= 0) return []
  const grouped = s.group_max_running !== null || s.group_rate_n !== null
  const perGroup = Math.min(s.group_max_running ?? 1e9, s.group_rate_n ?? 1e9)
  const room: Record<string, number> = {}
  if (grouped) {
    for (const g of f.groupUse.all({ type: c.type, since: c.now - (s.group_rate_ms ?? 0) })) {
      let r = perGroup
      if (s.group_max_running !== null) r = Math.min(r, s.group_max_running - g.running)
      if (s.group_rate_n !== null) r = Math.min(r, s.group_rate_n - g.starts)
      room[g.grp] = Math.max(0, r)
    }
  }
  let candidates: Array<{ id: string; grp: string | null }>
  if (!grouped) candidates = f.candidatesPlain.all({ type: c.type, now: c.now, limit: cap })
  else {
    const scan = groupPassRows(cap)
    const first = f.candidatesPlain.all({ type: c.type, now: c.now, limit: scan })
    candidates =
      pickInGroups(first, room, perGroup, cap, first.length < scan) ??
      f.candidates.all({ type: c.type, now: c.now, room: JSON.stringify(room), perGroup, limit: cap })
  }
  const rows: ClaimRow[] = []
  for (const cand of candidates) {
    const row = f.claimOne.get({ id: cand.id, droneId: c.droneId, droneName: c.droneName, now: c.now, expires: c.expires })
    if (!row) continue
    if (s.rate_n !== null) f.logStart.run(c.type, '', c.now)
    if (s.group_rate_n !== null && row.grp !== null) f.logStart.run(c.type, row.grp, c.now)
    rows.push(row)
  }
  return rows
}

/** A type's current use of its limits, by the claim's own counts (read-only, in the caller's read). */
export function flowUse(f: FlowStatements, p: { type: string; rateMs: number; groupRateMs: number; groups: boolean }, now: number): TypeFlowUse {
  const use: TypeFlowUse = {
    running: f.running.get(p.type)!,
    runnable: f.runnable.get(p.type, now)!,
    starts: p.rateMs > 0 ? f.starts.get(p.type, '', now - p.rateMs)! : 0,
    groups: [],
  }
  if (!p.groups) return use
  const groups = f.groupUse
    .all({ type: p.type, since: p.groupRateMs > 0 ? now - p.groupRateMs : now })
    .sort((a, b) => b.running + b.starts - (a.running + a.starts))
    .slice(0, GROUP_USE_MAX)
  const queued = new Map(f.groupQueued.all({ type: p.type, now, groups: JSON.stringify(groups.map((g) => g.grp)) }).map((r) => [r.grp, r.n]))
  use.groups = groups.map((g) => ({ group: g.grp, running: g.running, starts: g.starts, queued: queued.get(g.grp) ?? 0 }))
  return use
}

export function toTypeSettings(r: FlowRow): TypeSettings {
  return { paused: r.paused === 1, maxRunning: r.max_running, rate: r.rate, groupMaxRunning: r.group_max_running, groupRate: r.group_rate }
}
