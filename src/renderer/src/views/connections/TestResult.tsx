import type { ApiResults } from '../../../../api/contract.ts'
import { fmtMs } from '../../lib/format.ts'

type Result = ApiResults['connections.test']

/** "PostgreSQL 17.2 · 1.3 ms · schema current", or the error and what to do. */
export function TestResult({ result, testId }: { result: Result; testId: string }) {
  if (!result.ok) {
    return (
      <div className="test-result bad" data-testid={testId} data-ok="false">
        <span data-testid={`${testId}-error`}>{result.error}</span>
        <div className="error-hint">Check the address, credentials and TLS mode, and that the server accepts connections from this machine.</div>
      </div>
    )
  }
  return (
    <div className="test-result ok" data-testid={testId} data-ok="true">
      <span data-testid={`${testId}-version`}>{result.version}</span> · round trip {fmtMs(result.roundTripMs)} · schema{' '}
      <span className={result.schema === 'current' ? '' : 'warn-text'} data-testid={`${testId}-schema`}>
        {result.schema}
      </span>
      {result.schema !== 'current' && <span className="muted"> — press Migrate to {result.schema === 'missing' ? 'create' : 'upgrade'} it</span>}
    </div>
  )
}
