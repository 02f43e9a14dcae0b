/**
 * classifyConnectionError on the error shapes pg and node produce (read from real failures: a
 * SwarmageError wrapping the socket or server error as its cause, or an AggregateError of several
 * addresses); the live cases run against PostgreSQL in shared-queue.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { classifyConnectionError } from '../../src/api/connection-errors.ts'
import { SchemaError, SwarmageError } from '../../src/core/errors.ts'

const ADDRESS = 'postgres://app:sekret@db.example:5432/app?schema=team'
const wrapped = (cause: Error & { code?: string }) => new SwarmageError(`PostgreSQL schema check failed: ${cause.message}`, { cause, retryable: true })
const err = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code })

describe('classifyConnectionError', () => {
  it('names each problem with the masked address and what to do', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [wrapped(err('connect ECONNREFUSED 10.0.0.5:5432', 'ECONNREFUSED')), 'refused', /connection was refused.*host and port/],
      [new AggregateError([err('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'), err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')]), 'refused', /refused/],
      [wrapped(err('password authentication failed for user "app"', '28P01')), 'authentication', /refused the login.*user and password/],
      [wrapped(err('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')), 'tls', /TLS handshake failed/],
      [wrapped(err('getaddrinfo EAI_AGAIN db.example', 'EAI_AGAIN')), 'unknown-host', /does not resolve/],
      [wrapped(err('connect ETIMEDOUT 10.0.0.5:5432', 'ETIMEDOUT')), 'timeout', /no answer in time.*firewall/],
      [wrapped(err('Connection terminated due to connection timeout')), 'timeout', /no answer in time/],
      [wrapped(err('database "app" does not exist', '3D000')), 'missing-database', /database does not exist/],
      [new SchemaError("the PostgreSQL schema 'team' is missing"), 'missing-schema', /press Migrate/],
    ]
    for (const [e, problem, says] of cases) {
      const r = classifyConnectionError(e, ADDRESS)
      expect(r?.problem, String(e)).toBe(problem)
      expect(r!.shape.message).toMatch(says)
      expect(r!.shape.message).toContain('postgres://app:***@db.example:5432/app?schema=team')
      expect(r!.shape.message).not.toContain('sekret')
      expect(r!.shape.code).toBe(problem === 'missing-schema' ? 'schema' : 'connection')
    }
  })

  it('leaves errors that are not about reaching the queue to the caller (the console\'s own faults)', () => {
    expect(classifyConnectionError(new TypeError("Cannot read properties of undefined (reading 'x')"), ADDRESS)).toBeNull()
    expect(classifyConnectionError(wrapped(err('deadlock detected', '40P01')), ADDRESS)).toBeNull()
    // A query's own time limit is not the database being out of reach.
    expect(classifyConnectionError(wrapped(err('canceling statement due to statement timeout', '57014')), ADDRESS)).toBeNull()
  })
})
