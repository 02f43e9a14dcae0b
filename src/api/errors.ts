/**
 * Errors crossing the console API (IPC or WebSocket) become `ApiErrorShape`: a code the UI can act on
 * and a one-line message. Never a stack: the client may be a browser on another machine.
 */
import type { z } from 'zod'
import { describeIssue } from '../core/config.ts'
import { InputError, NotFoundError, SchemaError } from '../core/errors.ts'
import { redact } from '../queue/address.ts'
import type { ApiErrorShape } from './contract.ts'

export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly code: ApiErrorShape['code'],
    message: string,
  ) {
    super(message)
  }

  toShape(): ApiErrorShape {
    return { code: this.code, message: this.message }
  }
}

/** A zod failure of a method's params: names the method and the field ("connections.save: port: …"). */
export function inputError(method: string, error: z.ZodError): ApiError {
  const issue = error.issues[0]
  return new ApiError('input', `${method}: ${issue ? describeIssue(issue) : 'invalid params'}`)
}

export function toApiError(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return err.toShape()
  if (err instanceof InputError) return { code: 'input', message: oneLine(err.message) }
  if (err instanceof NotFoundError) return { code: 'not-found', message: oneLine(err.message) }
  if (err instanceof SchemaError) return { code: 'schema', message: oneLine(err.message) }
  return { code: 'internal', message: oneLine(describe(err)) }
}

/** The message of an error we did not raise, with its class name, and addresses redacted. */
export function describe(err: unknown): string {
  if (err instanceof AggregateError && !err.message && err.errors.length > 0) return describe(err.errors[0])
  if (err instanceof Error) {
    const message = err.message || String((err as { code?: unknown }).code ?? '')
    const named = err.name && err.name !== 'Error' && !/Error$/.test(err.name) ? `${err.name}: ${message}` : message
    return named || err.name
  }
  return String(err)
}

function oneLine(text: string): string {
  return redact(text.replace(/\s*\n\s*/g, ' ').trim()).slice(0, 2000)
}
