import type { ClaimedTask } from '../../core/task.ts'
import { groupPassRows, pickInGroups, type TypeSettings } from '../../core/flow.ts'
import type { Exec } from './insert.ts'
import { toClaimed, type ClaimRow } from './rows.ts'
import type { Statement, Statements } from './sql.ts'

/** A type_settings row as the claim reads it (parsed rates). */
interface FlowRow {
  type: string
  paused: boolean
  max_running: number | null
  rate_n: number | null
  rate_ms: number | null
  group_max_running: number | null
  group_rate_n: number | null
  group_rate_ms: number | null
}

/**
 * Longest the server lets a limited claim's transaction sit idle between two of its statements before
 * it ends the session. The claim holds its types' settings rows locked (FOR UPDATE) and every drone's
 * claim of those types waits on them; a drone cut off mid-claim leaves a connection that looks open to
 * the server (a black hole closes nothing), so without this bound the lock, and every drone's claims
 * of those types, were held until TCP gave up: minutes (test/faults/net1, the three-host rig;
 * test/queue/postgres-flow-partition.test.ts). The statements of a claim follow one another within a
 * round trip (~25 ms on the rig's 20 ms link), so 3 s ends a live drone's claim only when its process
 * stalls that long, which costs that one claim (retried); the others wait at most this long.
 */
export const CLAIM_IDLE_TIMEOUT_MS = 3_000

const claimIdleTimeout: Statement = {
  name: 'swarmage_flow_idle_timeout',
  // set_config(…, true) is SET LOCAL: it ends with the transaction, so the pooled session keeps its default.
  text: `SELECT set_config('idle_in_transaction_session_timeout', $1, true)`,
}

export interface ClaimParams {
  droneId: string
  droneName: string
  leaseMs: number
}

/**
 * The claim of flow-limited types (docs/architecture.md#flow-control), inside one transaction the
 * caller holds: lock the types' settings rows (claims of one limited type are serialized, so the
 * counts below are exact), count what is running and what started in the sliding window, pick at
 * most what every limit leaves room for, claim those and log their starts. A held-back task is never
 * touched: it stays queued with its attempts as they were.
 */
/**
 * Before a transaction takes a row lock other drones wait on (a limited type's settings, a schedule's
 * row): from here on the server ends a silent holder's session, and its lock, after 3 s.
 */
export async function limitIdleInTransaction(exec: Exec): Promise<void> {
  await exec(claimIdleTimeout, [String(CLAIM_IDLE_TIMEOUT_MS)])
}

export async function claimLimited(exec: Exec, sql: Statements, params: ClaimParams, wants: Map<string, number>): Promise<ClaimedTask[]> {
  await limitIdleInTransaction(exec)
  const settings = await exec<FlowRow>(sql.flowLock, [[...wants.keys()]])
  const byType = new Map(settings.map((s) => [s.type, s]))
  const claimed: ClaimedTask[] = []
  for (const [type, want] of wants) {
    const s = byType.get(type)
    // A row deleted since the first statement: no limits now.
    if (s?.paused === true) continue
    let cap = want
    if (s && (s.max_running !== null || s.rate_n !== null || s.group_rate_n !== null)) {
      const [use] = await exec<{ running: number; starts: number }>(sql.flowUse, [type, s.rate_ms ?? 0, s.group_rate_ms ?? 0])
      if (s.max_running !== null) cap = Math.min(cap, s.max_running - use!.running)
      if (s.rate_n !== null) cap = Math.min(cap, s.rate_n - use!.starts)
    }
    if (cap <= 0) continue
    let ids: Array<{ id: string }>
    if (s && (s.group_max_running !== null || s.group_rate_n !== null)) {
      const perGroup = Math.min(s.group_max_running ?? Infinity, s.group_rate_n ?? Infinity)
      const use = await exec<{ grp: string; running: number; starts: number }>(sql.flowGroupUse, [type, s.group_rate_ms ?? 0])
      const room: Record<string, number> = {}
      for (const g of use) {
        let r = perGroup
        if (s.group_max_running !== null) r = Math.min(r, s.group_max_running - g.running)
        if (s.group_rate_n !== null) r = Math.min(r, s.group_rate_n - g.starts)
        room[g.grp] = Math.max(0, r)
      }
      const scan = groupPassRows(cap)
      const first = await exec<{ id: string; grp: string | null }>(sql.flowCandidatesPlain, [type, scan])
      ids = pickInGroups(first, room, perGroup, cap, first.length < scan) ?? (await exec(sql.flowCandidates, [type, cap, JSON.stringify(room), perGroup]))
    } else {
      ids = await exec(sql.flowCandidatesPlain, [type, cap])
    }
    if (ids.length === 0) continue
    const rows = await exec<ClaimRow>(sql.claimIds, [
      ids.map((r) => r.id),
      params.droneId,
      params.droneName,
      params.leaseMs,
      s?.rate_n != null,
      s?.group_rate_n != null,
    ])
    for (const r of rows) claimed.push(toClaimed(r))
  }
  return claimed
}

/** type_settings as stored → the public shape. */
export function toTypeSettings(r: {
  paused: boolean
  max_running: number | null
  rate: string | null
  group_max_running: number | null
  group_rate: string | null
}): TypeSettings {
  return { paused: r.paused, maxRunning: r.max_running, rate: r.rate, groupMaxRunning: r.group_max_running, groupRate: r.group_rate }
}
