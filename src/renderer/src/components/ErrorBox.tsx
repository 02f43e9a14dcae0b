import { fixHint, toApiError } from '../transport/index.ts'

/** What went wrong (the server's words) and how to fix it (by error code). */
export function ErrorBox({ error, what, testId = 'error', onRetry }: { error: unknown; what?: string; testId?: string; onRetry?: () => void }) {
  if (!error) return null
  const e = toApiError(error)
  return (
    <div className="error-box" role="alert" data-testid={testId} data-code={e.code}>
      <div className="error-message">
        {what ? <strong>{what}: </strong> : null}
        <span data-testid={`${testId}-message`}>{e.message}</span>
      </div>
      <div className="error-hint">{fixHint(e.code)}</div>
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry} data-testid={`${testId}-retry`}>
          Try again
        </button>
      )}
    </div>
  )
}
