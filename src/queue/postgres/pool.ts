import pg from 'pg'

export interface PostgresDriverOptions {
  connectionString: string
  /** Schema holding the queue's tables. Default 'swarmage'. */
  schema?: string
  /** Pool size. Default 10: a drone's hot path needs 2–3 (claim, complete, lease) plus the console's reads. */
  poolSize?: number
  /** application_name of the pool's connections (pg_stat_activity). Default 'swarmage'. */
  applicationName?: string
  /**
   * A query unanswered this long fails (retryable) and its connection is dropped, so a connection that
   * silently stopped answering cannot hang a drone. Default 30000.
   */
  queryTimeoutMs?: number
  /** Connection handshake timeout for the pool, ms. Default 3000. */
  connectTimeoutMs?: number
  /** LISTEN connection probe interval, ms. Default 5000. */
  heartbeatMs?: number
  /** LISTEN probe timeout, ms. Default 3000. */
  heartbeatTimeoutMs?: number
}

export function makePool(options: PostgresDriverOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'swarmage',
    keepAlive: true,
    // A handshake not done in 3 s on a healthy network is a dead path (a black hole answers nothing);
    // waiting pg's default (forever) or 10 s held every claim behind it (test/faults/s04).
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3_000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
    idleTimeoutMillis: 30_000,
  })
  // An idle client whose connection dies emits 'error' on the pool, which removes it; the next query
  // gets a fresh one. Without a listener the event would crash the process. Queries report their
  // own errors (retryable where the connection was the cause).
  pool.on('error', () => undefined)
  return pool
}
