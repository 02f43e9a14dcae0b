import type pg from 'pg'
import { InputError, SwarmageError, errorMessage } from '../../core/errors.ts'

/**
 * PostgreSQL and socket errors, classified once. A dropped or refused connection, a server shutting
 * down or a serialization conflict is retryable (the pool replaces dead clients, so the drone's next
 * try gets a fresh connection); bad data is an InputError; the rest are run-time failures.
 */
const RETRYABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, server restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
])

const RETRYABLE_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'])

const RETRYABLE_MESSAGES = [
  /Connection terminated/i,
  /connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /Query read timeout/i,
  /server closed the connection/i,
]

const UNTRUSTED_CA = "the server's TLS certificate is not signed by a CA you trust: give that CA's certificate as ?sslrootcert=FILE"
/** Node's TLS verification failures (sslmode=verify-full), and what to check: the raw codes say little to most users. */
const TLS_HINTS: Readonly<Record<string, string>> = {
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate does not name the host in the address: connect by a name it lists",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED_CA,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED_CA,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED_CA,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED_CA,
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED_CA,
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
}

export function isRetryablePgError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (code.startsWith('08') || RETRYABLE_SQLSTATES.has(code) || RETRYABLE_NODE_CODES.has(code)) return true
  }
  return RETRYABLE_MESSAGES.some((re) => re.test(err.message))
}

/** Wraps anything a query threw; our own SwarmageErrors pass through unchanged. */
export function wrapPgError(err: unknown, what: string): SwarmageError {
  if (err instanceof SwarmageError) return err
  const code = (err as { code?: unknown } | null)?.code
  const hint = typeof code === 'string' ? TLS_HINTS[code] : undefined
  const message = `PostgreSQL ${what} failed: ${errorMessage(err)}${typeof code === 'string' ? ` (${code})` : ''}${hint ? `: ${hint}` : ''}`
  if (typeof code === 'string' && code.startsWith('22')) return new InputError(message, { cause: err })
  return new SwarmageError(message, { cause: err, retryable: isRetryablePgError(err) })
}

export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** A pool, a pooled client or a caller's client: whatever a statement runs on. */
export type Queryable = Pick<pg.Pool | pg.ClientBase, 'query'>

/**
 * The driver's one query path: every statement (named or not, on the pool, in a transaction or on a
 * caller's connection) runs here, so a failure is classified, reported to `onError` (the driver rotates
 * its pool on connection faults) and wrapped with what was running, in one place.
 */
export async function queryRows<R>(
  on: Queryable,
  query: { name?: string; text: string },
  values: unknown[],
  what: string,
  onError?: (err: unknown) => void,
): Promise<R[]> {
  try {
    const config = query.name === undefined ? { text: query.text, values } : { name: query.name, text: query.text, values }
    return (await on.query(config)).rows as R[]
  } catch (err) {
    onError?.(err)
    throw wrapPgError(err, what)
  }
}

/** How a statement is named in an error: its prepared name without the common prefix. */
export function statementLabel(stmt: { name: string }): string {
  return stmt.name.replace(/^swarmage_/, '')
}
