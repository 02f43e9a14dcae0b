import { CommanderError } from 'commander'
import { InputError, NotFoundError, SchemaError } from '../core/errors.ts'
import { redact } from '../queue/address.ts'

/** CONTRACT.md: 0 done; 1 failed at run time; 2 bad usage or bad input. */
export const EXIT_OK = 0
export const EXIT_RUNTIME = 1
export const EXIT_USAGE = 2

/** Network-level failures to reach a database: reported as "cannot connect to ADDR: cause". */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'])

/** A failure to reach the queue's database, with the (redacted) address in the message. Exit status 1. */
export class ConnectError extends Error {
  override name = 'ConnectError'
  constructor(address: string, cause: unknown) {
    super(`cannot connect to the queue at ${redact(address)}: ${describeCause(cause)}`, { cause })
  }
}

export function isConnectFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (CONNECT_CODES.has(code) || code === '28P01' || code === '28000' || code === '3D000')) return true
    if (e instanceof AggregateError && e.errors.some((x) => isConnectFailure(x))) return true
  }
  return false
}

/** Node's AggregateError for a refused dual-stack connect has an empty message: use its first error. */
function describeCause(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0 && !err.message) return describeCause(err.errors[0])
  if (err instanceof Error) {
    const inner = (err as { cause?: unknown }).cause
    if (!err.message && inner) return describeCause(inner)
    return err.message || String((err as { code?: unknown }).code ?? err.name)
  }
  return String(err)
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
  // Not found is bad input (a wrong id), like a wrong option: 2.
  if (err instanceof InputError || err instanceof NotFoundError) return EXIT_USAGE
  if (err instanceof SchemaError) return EXIT_RUNTIME
  return EXIT_RUNTIME
}

/** One line naming what was wrong; never a stack (SWARMAGE_DEBUG=1 adds it, see main.ts). */
export function errorLine(err: unknown): string {
  let message: string
  if (err instanceof CommanderError) message = err.message.replace(/^error: /, '')
  else if (err instanceof Error) {
    message = err.message || describeCause(err)
    // Errors we did not raise ourselves keep their class name: "SqliteError: database is locked".
    const ours = err instanceof InputError || err instanceof NotFoundError || err instanceof SchemaError || err instanceof ConnectError
    if (!ours && err.name && err.name !== 'Error' && err.name !== 'SwarmageError') message = `${err.name}: ${message}`
  } else message = String(err)
  return `swarmage: ${message.replace(/\s*\n\s*/g, ' ').trim()}`
}
