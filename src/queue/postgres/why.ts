import { WHY_AHEAD_CAP, type TaskWhyFacts } from '../driver.ts'
import { toTypeSettings } from './flow.ts'
import { quoteIdent } from './ident.ts'
import { toTask, type TaskRow } from './rows.ts'
import { TASK_COLUMNS, type Statement } from './sql.ts'

interface WhyRow extends TaskRow {
  claimed_by: string | null
  lease_expires_at: Date | null
  now: Date
  ahead: number
  running: number
  settings_type: string | null
  paused: boolean | null
  max_running: number | null
  rate: string | null
  group_max_running: number | null
  group_rate: string | null
  rate_starts: number | null
  group_running: number | null
  group_rate_starts: number | null
}

/**
 * The one statement behind `swarmage why` (src/debug/why.ts): the task, its type's settings and the
 * counts that explain it, at one snapshot and on the database clock. Every count is by index: the
 * claim index for the tasks ahead, the lease index for running ones, task_starts_window for rates.
 */
export function whyStatement(schema: string): Statement {
  const S = quoteIdent(schema)
  const T = `${S}.tasks`
  const MS = `interval '1 millisecond'`
  return {
    name: 'swarmage_task_why',
    text: `WITH t AS (SELECT ${TASK_COLUMNS}, claimed_by, lease_expires_at FROM ${T} WHERE id = $1)
      SELECT t.*, now() AS now,
        (SELECT count(*) FROM (SELECT 1 FROM ${T} q WHERE q.state = 'queued' AND q.type = t.type AND q.run_at <= now() AND q.id <> t.id
          AND (q.priority > t.priority OR (q.priority = t.priority AND (q.run_at < t.run_at OR (q.run_at = t.run_at AND q.created_at < t.created_at))))
          LIMIT ${WHY_AHEAD_CAP + 1}) a)::int AS ahead,
        (SELECT count(*) FROM ${T} r WHERE r.lease_expires_at IS NOT NULL AND r.state = 'running' AND r.type = t.type)::int AS running,
        s.type AS settings_type, s.paused, s.max_running, s.rate, s.group_max_running, s.group_rate,
        CASE WHEN s.rate_ms IS NOT NULL THEN (SELECT count(*) FROM ${S}.task_starts x
          WHERE x.type = t.type AND x.grp = '' AND x.at > now() - s.rate_ms * ${MS})::int END AS rate_starts,
        CASE WHEN t.grp IS NOT NULL THEN (SELECT count(*) FROM ${T} g
          WHERE g.lease_expires_at IS NOT NULL AND g.state = 'running' AND g.type = t.type AND g.grp = t.grp)::int END AS group_running,
        CASE WHEN t.grp IS NOT NULL AND s.group_rate_ms IS NOT NULL THEN (SELECT count(*) FROM ${S}.task_starts x
          WHERE x.type = t.type AND x.grp = t.grp AND x.at > now() - s.group_rate_ms * ${MS})::int END AS group_rate_starts
      FROM t LEFT JOIN ${S}.type_settings s ON s.type = t.type`,
  }
}

export function toWhyFacts(r: WhyRow): TaskWhyFacts {
  return {
    task: toTask(r),
    now: r.now.toISOString(),
    claimedBy: r.claimed_by,
    leaseExpiresAt: r.lease_expires_at?.toISOString() ?? null,
    ahead: r.ahead,
    running: r.running,
    settings:
      r.settings_type === null
        ? null
        : toTypeSettings({ paused: r.paused === true, max_running: r.max_running, rate: r.rate, group_max_running: r.group_max_running, group_rate: r.group_rate }),
    rateStarts: r.rate_starts,
    groupRunning: r.group_running,
    groupRateStarts: r.group_rate_starts,
  }
}

export type { WhyRow }
