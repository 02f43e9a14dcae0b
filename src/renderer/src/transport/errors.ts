import type { ApiErrorShape } from '../../../api/contract.ts'

export type ApiErrorCode = ApiErrorShape['code'] | 'transport'

/** Every failed call reaches the UI as this: `code` picks the "how to fix it" hint. */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly method?: string,
  ) {
    super(message)
  }
}

const CODES: ReadonlySet<string> = new Set(['input', 'not-found', 'schema', 'internal', 'forbidden', 'connection', 'transport'])

/**
 * Normalises whatever a call rejected with. Both transports hand over the server's `{ code, message }`
 * as an ApiError already (the WebSocket frame's error, the preload's reply object); what is left is an
 * IPC failure, which Electron words as "Error invoking remote method 'swarmage:x.y': Error: msg"
 * (unwrapped to the message), and anything else thrown on the way (internal).
 */
export function toApiError(err: unknown, method?: string): ApiError {
  if (err instanceof ApiError) return err
  const raw = err as { code?: unknown; message?: unknown } | null
  let message = typeof raw?.message === 'string' ? raw.message : String(err)
  const code: ApiErrorCode = typeof raw?.code === 'string' && CODES.has(raw.code) ? (raw.code as ApiErrorCode) : 'internal'
  const wrapped = /^Error invoking remote method '[^']*': (?:\w*Error: )?([\s\S]*)$/.exec(message)
  if (wrapped?.[1] !== undefined) message = wrapped[1]
  return new ApiError(code, message, method)
}

/** One sentence on how to get past an error of this kind. */
export function fixHint(code: ApiErrorCode): string {
  switch (code) {
    case 'input':
      return 'Correct the value named above and try again.'
    case 'not-found':
      return 'It may have been deleted or pruned meanwhile: refresh the list.'
    case 'schema':
      return 'The queue schema is missing or old: press "Migrate" on the Connections view (or run `swarmage migrate`).'
    case 'forbidden':
      return 'Open the console from the address `swarmage console` printed: it carries the access token (#token=…).'
    case 'transport':
      return 'The console lost its server: it reconnects by itself; check that `swarmage console` (or the app) still runs.'
    case 'connection':
      return "The queue's database could not be reached: the message names its address and what to check; nothing is wrong with the console."
    case 'internal':
      return 'The server failed unexpectedly: its log (terminal or app log) has the details.'
  }
}
