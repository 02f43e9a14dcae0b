/**
 * Errors are classified once here. `InputError` is bad usage or bad input (CLI exit status 2,
 * nothing stored); `NotFoundError` names a missing task or schema; everything else is a run-time
 * failure (exit status 1). Every error may carry a cause; none is swallowed.
 */
export class SwarmageError extends Error {
  override name = 'SwarmageError'
  /** Whether retrying the same operation later could succeed (a dropped connection, a lock). */
  readonly retryable: boolean
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.retryable = options?.retryable ?? false
  }
}

/** Bad usage or bad input: the message names what was wrong. CLI exit status 2. */
export class InputError extends SwarmageError {
  override name = 'InputError'
}

export class NotFoundError extends SwarmageError {
  override name = 'NotFoundError'
}

/** The PostgreSQL schema is missing or older than this code; `swarmage migrate` fixes it. */
export class SchemaError extends SwarmageError {
  override name = 'SchemaError'
}

/** A worker module that is missing, does not compile, or has no usable default export. */
export class WorkerModuleError extends InputError {
  override name = 'WorkerModuleError'
}

/** Thrown by a worker to fail a task without retrying it. */
export class PermanentError extends Error {
  override name = 'PermanentError'
  readonly permanent = true
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
