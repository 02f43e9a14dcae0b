/**
 * Why a queue could not be reached, named with the address (password masked) and what to do (issue
 * 16): refused, authentication, TLS, unknown host, timeout, missing database or schema. Without this,
 * a database that is down reached the operator as "the server failed unexpectedly", blaming the
 * console. Errors that are none of these stay the console's own ('internal').
 */
import { SchemaError } from '../core/errors.ts'
import { redact } from '../queue/address.ts'
import type { ApiErrorShape } from './contract.ts'

export type ConnectionProblem = 'refused' | 'authentication' | 'tls' | 'unknown-host' | 'timeout' | 'missing-database' | 'missing-schema'

interface Rule {
  problem: ConnectionProblem
  /** node error codes (ECONNREFUSED) and PostgreSQL SQLSTATEs (28P01) */
  codes: string[]
  message: RegExp
  says: string
  todo: string
}

const RULES: Rule[] = [
  { problem: 'refused', codes: ['ECONNREFUSED'], message: /ECONNREFUSED|connection refused/i, says: 'the connection was refused', todo: 'is PostgreSQL running there, and are the host and port right?' },
  {
    problem: 'authentication',
    codes: ['28P01', '28000'],
    message: /password authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist|SASL|authentication/i,
    says: 'the server refused the login',
    todo: 'check the user and password of this connection (Connections → Edit)',
  },
  {
    problem: 'tls',
    codes: ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    message: /\bSSL\b|\bTLS\b|certificate/i,
    says: 'the TLS handshake failed',
    todo: "check the connection's TLS mode (the server may not offer TLS, or its certificate is not trusted)",
  },
  { problem: 'unknown-host', codes: ['ENOTFOUND', 'EAI_AGAIN'], message: /ENOTFOUND|EAI_AGAIN|getaddrinfo/i, says: 'the host name does not resolve', todo: 'check the host name' },
  { problem: 'timeout', codes: ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'], message: /connection timeout|connect timeout|timed out|timeout expired|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/i, says: 'no answer in time', todo: 'check that the host is reachable from this machine (firewall, VPN) and the port is right' },
  { problem: 'missing-database', codes: ['3D000'], message: /database "[^"]*" does not exist/i, says: 'the database does not exist', todo: 'check the database name, or create it' },
]

/** The problem and its one-line message, or null when `err` is not about reaching the queue. */
export function classifyConnectionError(err: unknown, address: string): { problem: ConnectionProblem; shape: ApiErrorShape } | null {
  const where = redact(address)
  if (err instanceof SchemaError) {
    return {
      problem: 'missing-schema',
      shape: { code: 'schema', message: `the queue at ${where} has no current schema: press Migrate on Connections (or run \`swarmage migrate --queue …\`)` },
    }
  }
  const chain = causes(err)
  for (const rule of RULES) {
    const hit = chain.some((e) => (e.code !== undefined && rule.codes.includes(e.code)) || rule.message.test(e.message))
    if (!hit) continue
    const detail = redact(chain[chain.length - 1]?.message ?? '').slice(0, 300)
    return { problem: rule.problem, shape: { code: 'connection', message: `cannot connect to ${where}: ${rule.says} (${detail}); ${rule.todo}` } }
  }
  return null
}

/** The error and its causes (and an AggregateError's members), as { code, message }. */
function causes(err: unknown): Array<{ code: string | undefined; message: string }> {
  const out: Array<{ code: string | undefined; message: string }> = []
  const seen = new Set<unknown>()
  const visit = (e: unknown): void => {
    if (e === null || e === undefined || seen.has(e) || out.length > 10) return
    seen.add(e)
    const r = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }
    out.push({ code: typeof r.code === 'string' ? r.code : undefined, message: typeof r.message === 'string' ? r.message : String(e) })
    if (Array.isArray(r.errors)) for (const x of r.errors) visit(x)
    visit(r.cause)
  }
  visit(err)
  return out
}
