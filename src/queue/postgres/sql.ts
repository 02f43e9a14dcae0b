import { channelFor, quoteIdent, quoteLiteral } from './ident.ts'

/** A named statement: `name` makes pg prepare it once per connection (parse and plan are skipped after). */
export interface Statement {
  name: string
  text: string
}

export const TASK_COLUMNS =
  'id, type, payload, state, priority, run_at, attempts, max_attempts, key, parent_id, grp, result, error, drone, created_at, started_at, finished_at'

const LIVE = `('queued', 'running')`
const FINAL = `('succeeded', 'failed', 'cancelled')`
const MS = `interval '1 millisecond'`
/**
 * A claimed task's run_at as epoch milliseconds (float8, microseconds as the fraction; the claim's
 * ORDER BY run_at sorts by it alike): pg parses a timestamptz into a Date with a regular expression,
 * once per claimed task, and the drone only wants the number (docs/performance.md "Fourth round").
 */
const RUN_AT_MS = `(extract(epoch FROM run_at) * 1000)::float8 AS run_at`

/**
 * Every fixed SQL statement of the PostgreSQL driver, built once per schema. Identifiers are quoted,
 * values always bound. Statements that make tasks runnable or cancel running ones NOTIFY from inside
 * the same statement (delivered at commit), so a wake-up costs no extra round trip; the payload is
 * only the deduplicated types or ids, never task data.
 */
export function buildStatements(schema: string) {
  const S = quoteIdent(schema)
  const chan = quoteLiteral(channelFor(schema))
  const T = `${S}.tasks`
  const st = (name: string, text: string): Statement => ({ name: `swarmage_${name}`, text })

  // NOTIFY with the distinct types of `source` rows that are runnable now. Over ~7 kB of type names
  // (the NOTIFY payload limit is 8000 bytes) it sends no list, which means "any type".
  const notifyTypes = (source: string, where: string) => `
    SELECT pg_notify(${chan}, CASE WHEN sum(length(type)) < 7000
        THEN json_build_object('t', json_agg(type))::text ELSE '{"t":null}' END)
    FROM (SELECT DISTINCT type FROM ${source} WHERE ${where}) d HAVING count(*) > 0`

  return {
    /**
     * Inserts a batch; a row whose key is live (in the table, or earlier in the batch) is skipped by
     * ON CONFLICT on tasks_live_key and answered with the live task's id. A conflict with a row
     * committed after this statement's snapshot leaves the id null: the driver looks those up again.
     */
    insert: st(
      'insert',
      `WITH input AS (
        -- The batch is one JSON array (insert.ts: tasksJson), each payload spliced in as it was
        -- serialized, inside [ ] so a payload of null stays JSON null (-> 0 unwraps it): json keeps
        -- the text byte for byte, and the client builds one string instead of pg's nine escaped
        -- array literals. (With those arrays, a custom plan spent 540–1,080 ms per 5,000 rows in
        -- the unnest of the constant arrays; with one JSON parameter custom and generic plans cost
        -- the same: docs/performance.md.)
        SELECT * FROM ROWS FROM (json_to_recordset($1::json) AS (id uuid, type text, payload json, priority int,
            run_at timestamptz, delay_ms float8, max_attempts int, key text, parent_id uuid, grp text, traceparent text))
          WITH ORDINALITY AS i(id, type, payload, priority, run_at, delay_ms, max_attempts, key, parent_id, grp, traceparent, ord)
      ), ins AS (
        INSERT INTO ${T} (id, type, payload, priority, run_at, max_attempts, key, parent_id, grp, traceparent, created_at)
        SELECT id, type, payload -> 0, priority, coalesce(run_at, now() + delay_ms * ${MS}), max_attempts, key, parent_id, grp, traceparent,
               date_trunc('milliseconds', now())
        FROM input ORDER BY ord
        ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ${LIVE} DO NOTHING
        RETURNING id, key, type, run_at
      ), n AS MATERIALIZED (${notifyTypes('ins', 'run_at <= now()')})
      SELECT coalesce(x.id, k.id, e.id)::text AS id, i.key
      FROM input i
      LEFT JOIN ins x ON x.id = i.id
      LEFT JOIN ins k ON k.key = i.key
      LEFT JOIN LATERAL (
        SELECT e.id FROM ${T} e WHERE i.key IS NOT NULL AND e.key = i.key AND e.state IN ${LIVE} LIMIT 1
      ) e ON true
      LEFT JOIN n ON true
      ORDER BY i.ord`,
    ),
    /**
     * The same for one task (enqueue's usual call): plain parameters instead of arrays, no input
     * join. Measured 0.40 ms a call against 0.93 ms for the batch statement with one row, which is
     * most of what enqueue→start latency spends before the drone hears of the task. A keyed row
     * that conflicts returns no row: the driver looks the live task up, as for the batch.
     */
    insertOne: st(
      'insert_one',
      `WITH ins AS (
        INSERT INTO ${T} (id, type, payload, priority, run_at, max_attempts, key, parent_id, grp, traceparent, created_at)
        VALUES ($1::uuid, $2::text, $3::text::json, $4::int, coalesce($5::timestamptz, now() + $6::float8 * ${MS}), $7::int, $8::text, $9::uuid, $10::text,
                $11::text, date_trunc('milliseconds', now()))
        ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ${LIVE} DO NOTHING
        RETURNING id, type, run_at
      ), n AS MATERIALIZED (${notifyTypes('ins', 'run_at <= now()')})
      SELECT ins.id::text AS id FROM ins LEFT JOIN n ON true`,
    ),
    liveKeys: st('live_keys', `SELECT key, id::text AS id FROM ${T} WHERE key = ANY($1::text[]) AND state IN ${LIVE}`),

    /**
     * One statement claims for every wanted type: a LATERAL probe of tasks_claim per (type, limit),
     * rows locked with SKIP LOCKED so concurrent drones take disjoint sets without waiting. Types with
     * a type_settings row (flow control) are left out and returned as rows with a null id: the driver
     * claims those in flow.ts, in a transaction that counts their limits. With no settings rows this
     * costs one probe of an empty table (docs/performance.md: the plain claim's plan is unchanged).
     */
    claim: st(
      'claim',
      `WITH limited AS MATERIALIZED (
        SELECT s.type FROM ${S}.type_settings s WHERE s.type = ANY ($1::text[])
      ), picked AS (
        SELECT q.id FROM (
          SELECT * FROM unnest($1::text[], $2::int[]) AS u(type, lim) WHERE u.type NOT IN (SELECT type FROM limited)
        ) w
        CROSS JOIN LATERAL (
          SELECT t.id FROM ${T} t
          WHERE t.state = 'queued' AND t.type = w.type AND t.run_at <= now()
          ORDER BY t.priority DESC, t.run_at
          LIMIT w.lim
          FOR UPDATE SKIP LOCKED
        ) q
      ), claimed AS (
        UPDATE ${T} t SET state = 'running', attempts = t.attempts + 1, lease_seq = t.lease_seq + 1,
          claimed_by = $3, drone = $4, started_at = now(), lease_expires_at = now() + $5::float8 * ${MS},
          worker_pid = NULL, finished_at = NULL
        WHERE t.id = ANY (ARRAY(SELECT id FROM picked))
        RETURNING t.id, t.type, t.payload, t.attempts, t.max_attempts, t.parent_id, t.lease_seq, t.priority, t.run_at, t.traceparent
      )
      SELECT id::text AS id, type, payload::text AS payload, attempts, max_attempts, parent_id::text AS parent_id,
             lease_seq::float8 AS lease_seq, priority, ${RUN_AT_MS}, traceparent
      FROM claimed
      UNION ALL SELECT NULL, type, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM limited
      ORDER BY priority DESC NULLS LAST, run_at`,
    ),
    /** Claims chosen ids of one limited type (flow.ts picked them under the type's settings lock). */
    claimIds: st(
      'claim_ids',
      `WITH picked AS (
        SELECT t.id FROM ${T} t WHERE t.id = ANY ($1::uuid[]) AND t.state = 'queued' FOR UPDATE SKIP LOCKED
      ), claimed AS (
        UPDATE ${T} t SET state = 'running', attempts = t.attempts + 1, lease_seq = t.lease_seq + 1,
          claimed_by = $2, drone = $3, started_at = clock_timestamp(), lease_expires_at = clock_timestamp() + $4::float8 * ${MS},
          worker_pid = NULL, finished_at = NULL
        WHERE t.id = ANY (ARRAY(SELECT id FROM picked))
        RETURNING t.id, t.type, t.payload, t.attempts, t.max_attempts, t.parent_id, t.lease_seq, t.priority, t.run_at, t.grp, t.traceparent
      ), starts AS (
        -- The sliding-window log: one row per start for the type-wide rate ('') and per group.
        INSERT INTO ${S}.task_starts (type, grp, at)
        SELECT c.type, g.grp, clock_timestamp() FROM claimed c CROSS JOIN LATERAL (
          SELECT '' AS grp WHERE $5::boolean UNION ALL SELECT c.grp WHERE $6::boolean AND c.grp IS NOT NULL
        ) g
      )
      SELECT id::text AS id, type, payload::text AS payload, attempts, max_attempts, parent_id::text AS parent_id,
             lease_seq::float8 AS lease_seq, ${RUN_AT_MS}, traceparent
      FROM claimed ORDER BY priority DESC, run_at`,
    ),
    /** Locks the settings rows of the limited types a claim wants (serializes their claims). */
    flowLock: st(
      'flow_lock',
      `SELECT type, paused, max_running, rate_n, rate_ms, group_max_running, group_rate_n, group_rate_ms
      FROM ${S}.type_settings WHERE type = ANY ($1::text[]) ORDER BY type FOR UPDATE`,
    ),
    // Limited claims read the clock with clock_timestamp(): a claim that waited for the settings lock
    // must not date its starts (or its window) at its transaction's begin.
    /**
     * A limited type's current use: running tasks (by tasks_rescue: only running tasks hold a lease),
     * starts in the rate window, and pruning of starts older than the longest window.
     */
    flowUse: st(
      'flow_use',
      `WITH pruned AS (
        DELETE FROM ${S}.task_starts WHERE type = $1 AND at <= clock_timestamp() - greatest($2::float8, $3::float8) * ${MS}
      )
      SELECT
        (SELECT count(*) FROM ${T} WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = $1)::int AS running,
        (SELECT count(*) FROM ${S}.task_starts WHERE type = $1 AND grp = '' AND at > clock_timestamp() - $2::float8 * ${MS})::int AS starts`,
    ),
    /** Per group of a type: running tasks and starts in the group rate window. */
    flowGroupUse: st(
      'flow_group_use',
      `SELECT grp, sum(r)::int AS running, sum(s)::int AS starts FROM (
        SELECT grp, 1 AS r, 0 AS s FROM ${T} WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = $1 AND grp IS NOT NULL
        UNION ALL
        SELECT grp, 0, 1 FROM ${S}.task_starts WHERE type = $1 AND grp <> '' AND at > clock_timestamp() - $2::float8 * ${MS}
      ) u GROUP BY grp`,
    ),
    /**
     * Candidates of a limited type in claim order. With group limits the first `$3` per group are
     * enough (no group can take more), and $3 gives the room left of groups already in use ({grp: n}), so
     * full groups cannot hide the others behind them.
     */
    flowCandidates: st(
      'flow_candidates',
      `SELECT c.id::text AS id, c.grp FROM (
        SELECT t.id, t.grp, t.priority, t.run_at,
          row_number() OVER (PARTITION BY t.grp ORDER BY t.priority DESC, t.run_at) AS rn
        FROM ${T} t WHERE t.state = 'queued' AND t.type = $1 AND t.run_at <= now()
      ) c LEFT JOIN json_each_text($3::json) r(grp, room) ON r.grp = c.grp
      WHERE c.grp IS NULL OR c.rn <= coalesce(r.room::int, $4)
      ORDER BY c.priority DESC, c.run_at LIMIT $2`,
    ),
    flowCandidatesPlain: st(
      'flow_candidates_plain',
      `SELECT t.id::text AS id, t.grp FROM ${T} t WHERE t.state = 'queued' AND t.type = $1 AND t.run_at <= now()
      ORDER BY t.priority DESC, t.run_at LIMIT $2`,
    ),
    /** The console's view of a type's use of its limits (not on the claim path; read-only, no prune). */
    flowViewUse: st(
      'flow_view_use',
      `SELECT
        (SELECT count(*) FROM ${T} WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = $1)::int AS running,
        (SELECT count(*) FROM ${T} WHERE state = 'queued' AND type = $1 AND run_at <= now())::int AS runnable,
        (SELECT count(*) FROM ${S}.task_starts WHERE type = $1 AND grp = '' AND $2::float8 > 0
          AND at > clock_timestamp() - $2::float8 * ${MS})::int AS starts`,
    ),
    /** The busiest $3 groups of a type (running, starts in the group window) and their runnable queued tasks. */
    flowViewGroups: st(
      'flow_view_groups',
      `WITH g AS (
        SELECT grp, sum(r)::int AS running, sum(s)::int AS starts FROM (
          SELECT grp, 1 AS r, 0 AS s FROM ${T} WHERE lease_expires_at IS NOT NULL AND state = 'running' AND type = $1 AND grp IS NOT NULL
          UNION ALL
          SELECT grp, 0, 1 FROM ${S}.task_starts WHERE type = $1 AND grp <> '' AND $2::float8 > 0 AND at > clock_timestamp() - $2::float8 * ${MS}
        ) u GROUP BY grp ORDER BY sum(r) + sum(s) DESC LIMIT $3
      )
      SELECT g.grp, g.running, g.starts,
        (SELECT count(*) FROM ${T} t WHERE t.state = 'queued' AND t.type = $1 AND t.run_at <= now() AND t.grp = g.grp)::int AS queued
      FROM g`,
    ),
    typeSettingsList: st(
      'type_settings_list',
      `SELECT type, paused, max_running, rate, group_max_running, group_rate FROM ${S}.type_settings ORDER BY type`,
    ),
    /** Upserts a type's settings and wakes drones for it (a resume or a raised limit frees tasks). */
    typeSettingsPut: st(
      'type_settings_put',
      `WITH up AS (
        INSERT INTO ${S}.type_settings (type, paused, max_running, rate, rate_n, rate_ms, group_max_running, group_rate, group_rate_n, group_rate_ms)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (type) DO UPDATE SET paused = excluded.paused, max_running = excluded.max_running, rate = excluded.rate,
          rate_n = excluded.rate_n, rate_ms = excluded.rate_ms, group_max_running = excluded.group_max_running,
          group_rate = excluded.group_rate, group_rate_n = excluded.group_rate_n, group_rate_ms = excluded.group_rate_ms
        RETURNING type
      )
      SELECT pg_notify(${chan}, json_build_object('t', json_build_array($1::text))::text) FROM up`,
    ),
    typeSettingsDelete: st(
      'type_settings_delete',
      `WITH del AS (DELETE FROM ${S}.type_settings WHERE type = $1 RETURNING type)
      SELECT pg_notify(${chan}, json_build_object('t', json_build_array($1::text))::text) FROM del`,
    ),

    /**
     * Records a batch of outcomes, each fenced by (id, lease_seq, running). A failure with a retry delay
     * is requeued while attempts remain; handed-back tasks give their attempt back. Every outcome gets
     * an attempt row in the same statement. Returns the input positions that applied; the rest are
     * refused. (Every part of one statement sees the snapshot from before it, which is how the attempt
     * row reads old values: PostgreSQL 15 has no OLD in RETURNING.)
     */
    complete: st(
      'complete',
      `WITH input AS (
        -- One JSON array (driver.ts: completionsJson), as for insert: results spliced in as
        -- serialized (inside [ ], so a result of null stays JSON null), start times in epoch ms.
        SELECT * FROM ROWS FROM (json_to_recordset($1::json) AS (id uuid, lease_seq bigint, kind text, result json, error json,
            delay_ms float8, worker_pid int, started_ms float8))
          WITH ORDINALITY AS c(id, lease_seq, kind, result, error, delay_ms, worker_pid, started_ms, ord)
      ), c AS (
        -- The fence, as one primary-key probe per input row (LATERAL leaves the planner no other
        -- order), locking what it keeps. Written as a join in the UPDATE, it was planned from the
        -- statistics of state: taken while nothing ran, they estimate 1 running row, and the plan
        -- scanned all of tasks against every input row (170 µs per completed task instead of 16).
        SELECT i.* FROM input i CROSS JOIN LATERAL (
          SELECT t.id FROM ${T} t WHERE t.id = i.id AND t.lease_seq = i.lease_seq AND t.state = 'running' FOR UPDATE
        ) l
      ), done AS (
        UPDATE ${T} t SET
          state = CASE WHEN c.kind = 'succeeded' THEN 'succeeded'
                       WHEN c.kind = 'handback' OR (c.delay_ms IS NOT NULL AND t.attempts < t.max_attempts) THEN 'queued'
                       ELSE 'failed' END,
          result = CASE WHEN c.kind = 'succeeded' THEN c.result -> 0 ELSE t.result END,
          error = CASE WHEN c.kind = 'failed' THEN c.error ELSE t.error END,
          run_at = CASE WHEN c.kind = 'failed' AND c.delay_ms IS NOT NULL AND t.attempts < t.max_attempts
                        THEN now() + c.delay_ms * ${MS} ELSE t.run_at END,
          attempts = CASE WHEN c.kind = 'handback' THEN greatest(t.attempts - 1, 0) ELSE t.attempts END,
          finished_at = CASE WHEN c.kind = 'handback' OR (c.kind = 'failed' AND c.delay_ms IS NOT NULL AND t.attempts < t.max_attempts)
                             THEN NULL ELSE now() END,
          drone = CASE WHEN c.kind = 'succeeded' OR c.kind = 'failed' AND (c.delay_ms IS NULL OR t.attempts >= t.max_attempts)
                       THEN t.drone ELSE NULL END,
          started_at = CASE WHEN c.kind = 'succeeded' OR c.kind = 'failed' AND (c.delay_ms IS NULL OR t.attempts >= t.max_attempts)
                            THEN t.started_at ELSE NULL END,
          worker_pid = CASE WHEN c.kind = 'handback' THEN NULL ELSE c.worker_pid END,
          -- A success's attempt lives on the row (migration 7), so its worker start time does too.
          worker_started_at = CASE WHEN c.kind = 'succeeded' THEN to_timestamp(c.started_ms / 1000) END,
          lease_expires_at = NULL, claimed_by = NULL
        FROM c WHERE t.id = c.id
        RETURNING t.id, t.type, t.state, t.attempts, t.run_at, t.drone, t.started_at, c.kind, c.error, c.worker_pid,
          to_timestamp(c.started_ms / 1000) AS worker_started_at, c.ord
      ), att AS (
        -- Successes get no attempt row: the task row is their record (attemptList reads it back). Final
        -- outcomes keep drone and started_at on the row; for requeued ones the scalar subqueries read
        -- them from this statement's snapshot, i.e. as they were while running.
        INSERT INTO ${S}.task_attempts (task_id, attempt, drone, worker_pid, started_at, finished_at, outcome, error)
        SELECT d.id, CASE WHEN d.kind = 'handback' THEN d.attempts + 1 ELSE d.attempts END,
          CASE WHEN d.state = 'queued' THEN (SELECT o.drone FROM ${T} o WHERE o.id = d.id) ELSE d.drone END,
          d.worker_pid,
          coalesce(d.worker_started_at,
            CASE WHEN d.state = 'queued' THEN (SELECT o.started_at FROM ${T} o WHERE o.id = d.id) ELSE d.started_at END),
          now(),
          CASE WHEN d.kind = 'succeeded' THEN 'succeeded' WHEN d.kind = 'handback' THEN 'handed-back'
               WHEN d.state = 'queued' THEN 'retried' ELSE 'failed' END,
          d.error
        FROM done d WHERE d.kind <> 'succeeded'
      ), n AS MATERIALIZED (${notifyTypes('done', `state = 'queued' AND run_at <= now()`)})
      SELECT d.ord::int AS ord FROM done d LEFT JOIN n ON true`,
    ),

    leaseExtend: st(
      'lease_extend',
      `WITH l AS (
        -- One primary-key probe per id, as in complete (see there why the fence is not a join).
        SELECT i.id FROM unnest($1::uuid[], $2::bigint[]) AS i(id, lease_seq) CROSS JOIN LATERAL (
          SELECT t.id FROM ${T} t WHERE t.id = i.id AND t.lease_seq = i.lease_seq AND t.state = 'running'
            -- coalesce keeps tasks_rescue out of the probe (see its comment).
            AND coalesce(t.lease_expires_at > now(), false) FOR UPDATE
        ) k
      )
      UPDATE ${T} t SET lease_expires_at = now() + $3::float8 * ${MS}
      FROM l WHERE t.id = l.id
      RETURNING t.id::text AS id`,
    ),

    /** Requeues (or fails, when attempts are exhausted) at most $2 tasks whose lease ran out more than $1 ms ago. */
    rescue: st(
      'rescue',
      `WITH r AS (
        SELECT id, drone, started_at, worker_pid FROM ${T} WHERE state = 'running' AND lease_expires_at < now() - $1::float8 * ${MS}
        ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
      ), upd AS (
        UPDATE ${T} t SET
          state = CASE WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'queued' END,
          run_at = CASE WHEN t.attempts >= t.max_attempts THEN t.run_at ELSE now() END,
          finished_at = CASE WHEN t.attempts >= t.max_attempts THEN now() ELSE NULL END,
          -- $3: LEASE_EXPIRED_FORMAT (src/queue/maintenance.ts), the words both backends use.
          error = json_build_object('message', format($3::text, coalesce(t.drone, '(unknown)'), t.attempts)),
          drone = CASE WHEN t.attempts >= t.max_attempts THEN t.drone ELSE NULL END,
          started_at = CASE WHEN t.attempts >= t.max_attempts THEN t.started_at ELSE NULL END,
          lease_expires_at = NULL, claimed_by = NULL, worker_pid = NULL
        WHERE t.id = ANY (ARRAY(SELECT id FROM r))
        RETURNING t.id, t.type, t.state, t.attempts, t.run_at, t.error
      ), att AS (
        INSERT INTO ${S}.task_attempts (task_id, attempt, drone, worker_pid, started_at, finished_at, outcome, error)
        SELECT u.id, u.attempts, o.drone, o.worker_pid, o.started_at, now(), 'lease-expired', u.error
        FROM upd u JOIN r o ON o.id = u.id
      ), n AS MATERIALIZED (${notifyTypes('upd', `state = 'queued'`)})
      SELECT u.id::text AS id, u.state FROM upd u LEFT JOIN n ON true`,
    ),

    get: st('get', `SELECT ${TASK_COLUMNS} FROM ${T} WHERE id = $1`),
    stateOf: st('state_of', `SELECT state FROM ${T} WHERE id = $1`),
    children: st('children', `SELECT id::text AS id FROM ${T} WHERE parent_id = $1 ORDER BY created_at, id`),

    /** queued|running → cancelled; a running task gets a 'cancelled' attempt row and a cancel signal. */
    cancel: st(
      'cancel',
      `WITH old AS (
        SELECT id, state, drone, started_at, worker_pid FROM ${T} WHERE id = $1 FOR UPDATE
      ), upd AS (
        UPDATE ${T} t SET state = 'cancelled', finished_at = now(), lease_expires_at = NULL, claimed_by = NULL
        FROM old WHERE t.id = $1 AND t.id = old.id AND old.state IN ${LIVE}
        RETURNING ${prefixed('t')}, old.state AS old_state, old.drone AS old_drone, old.started_at AS old_started_at,
          old.worker_pid AS old_worker_pid
      ), att AS (
        INSERT INTO ${S}.task_attempts (task_id, attempt, drone, worker_pid, started_at, finished_at, outcome, error)
        SELECT id, attempts, old_drone, old_worker_pid, old_started_at, now(), 'cancelled', NULL FROM upd WHERE old_state = 'running'
      ), n AS MATERIALIZED (
        SELECT pg_notify(${chan}, json_build_object('c', json_agg(id))::text) FROM upd WHERE old_state = 'running' HAVING count(*) > 0
      )
      SELECT ${TASK_COLUMNS} FROM upd LEFT JOIN n ON true`,
    ),

    /** failed|cancelled → queued with a fresh set of attempts. */
    retry: st(
      'retry',
      `WITH old AS (SELECT id, state FROM ${T} WHERE id = $1 FOR UPDATE), upd AS (
        UPDATE ${T} t SET state = 'queued', attempts = 0, run_at = now(), result = NULL, finished_at = NULL,
          started_at = NULL, drone = NULL, claimed_by = NULL, lease_expires_at = NULL, worker_pid = NULL
        FROM old WHERE t.id = $1 AND t.id = old.id AND old.state IN ('failed', 'cancelled')
        RETURNING ${prefixed('t')}
      ), n AS MATERIALIZED (${notifyTypes('upd', 'true')})
      SELECT ${TASK_COLUMNS} FROM upd LEFT JOIN n ON true`,
    ),

    delete: st(
      'delete',
      `WITH old AS (SELECT id, state FROM ${T} WHERE id = $1 FOR UPDATE), del AS (
        DELETE FROM ${T} t USING old WHERE t.id = $1 AND t.id = old.id AND old.state <> 'running' RETURNING t.id
      ), dl AS (
        DELETE FROM ${S}.task_logs WHERE task_id = ANY (ARRAY(SELECT id FROM del))
      ), da AS (
        DELETE FROM ${S}.task_attempts WHERE task_id = ANY (ARRAY(SELECT id FROM del))
      )
      SELECT old.state, (SELECT count(*) FROM del)::int AS deleted FROM old`,
    ),

    logInsert: st(
      'log_insert',
      `INSERT INTO ${S}.task_logs (task_id, attempt, level, message, data, at, stream)
      SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::json[], $6::timestamptz[], $7::text[])`,
    ),
    // The newest `limit` lines, returned oldest first.
    logList: st(
      'log_list',
      `SELECT task_id::text AS task_id, attempt, level, stream, message, data, at FROM (
        SELECT id, task_id, attempt, level, stream, message, data, at FROM ${S}.task_logs WHERE task_id = $1 ORDER BY id DESC LIMIT $2
      ) l ORDER BY id`,
    ),
    /**
     * A task's attempts: its task_attempts rows, then a succeeded attempt read from the task row
     * (migration 7: successes write no attempt row; succeeded is final, so the row keeps what it was).
     * A success recorded before migration 7 has its own row, which NOT EXISTS keeps from doubling.
     */
    attemptList: st(
      'attempt_list',
      `SELECT task_id::text AS task_id, attempt, drone, worker_pid, started_at, finished_at, outcome, error FROM (
        SELECT task_id, attempt, drone, worker_pid, started_at, finished_at, outcome, error, id AS ord
        FROM ${S}.task_attempts WHERE task_id = $1
        UNION ALL
        SELECT t.id, t.attempts, t.drone, t.worker_pid, coalesce(t.worker_started_at, t.started_at), t.finished_at, 'succeeded', NULL::json, NULL
        FROM ${T} t WHERE t.id = $1 AND t.state = 'succeeded'
          AND NOT EXISTS (SELECT 1 FROM ${S}.task_attempts a WHERE a.task_id = $1 AND a.outcome = 'succeeded')
      ) a ORDER BY ord NULLS LAST`,
    ),

    stats: st('stats', `SELECT type, state, count(*)::int AS n FROM ${T} GROUP BY type, state`),

    droneUpsert: st(
      'drone_upsert',
      `INSERT INTO ${S}.drones (id, name, host, pid, started_at, last_seen, info) VALUES ($1, $2, $3, $4, now(), now(), $5::json)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, pid = excluded.pid,
        last_seen = excluded.last_seen, info = excluded.info`,
    ),
    droneRemove: st('drone_remove', `DELETE FROM ${S}.drones WHERE id = $1`),
    droneList: st(
      'drone_list',
      `SELECT id, name, host, pid, started_at, last_seen, info FROM ${S}.drones
      WHERE $1::float8 IS NULL OR last_seen >= now() - $1::float8 * ${MS} ORDER BY name, started_at, id`,
    ),
    dronePrune: st('drone_prune', `DELETE FROM ${S}.drones WHERE last_seen < now() - $1::float8 * ${MS}`),

    /** Takes or renews the maintenance lease: free, expired, or already ours. */
    leaseTake: st(
      'lease_take',
      `UPDATE ${S}.maintenance_lease SET holder = $1, expires_at = now() + $2::float8 * ${MS}
      WHERE name = 'maintenance' AND (holder = $1 OR holder IS NULL OR expires_at < now()) RETURNING holder`,
    ),
    /**
     * Deletes one batch of finished tasks past retention, with their logs and attempts. created_at is
     * never after finished_at, so the bound on it lets tasks_list serve the scan from the oldest end.
     */
    prune: st(
      'prune',
      `WITH d AS (
        SELECT id FROM ${T} WHERE created_at <= now() - $1::float8 * ${MS}
          AND state IN ${FINAL} AND finished_at <= now() - $1::float8 * ${MS}
        ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
      ), del AS (
        DELETE FROM ${T} t WHERE t.id = ANY (ARRAY(SELECT id FROM d)) RETURNING t.id
      ), dl AS (
        DELETE FROM ${S}.task_logs WHERE task_id = ANY (ARRAY(SELECT id FROM del))
      ), da AS (
        DELETE FROM ${S}.task_attempts WHERE task_id = ANY (ARRAY(SELECT id FROM del))
      )
      SELECT count(*)::int AS n FROM del`,
    ),

    settingsGet: st('settings_get', `SELECT name, value FROM ${S}.settings`),
    settingSet: st(
      'setting_set',
      `INSERT INTO ${S}.settings (name, value) VALUES ($1, $2::json) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    ),

    now: st('now', 'SELECT now() AS now'),
  }
}

export type Statements = ReturnType<typeof buildStatements>

/** The task columns qualified by a table alias, for RETURNING lists that also name other tables. */
function prefixed(alias: string): string {
  return TASK_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ')
}
