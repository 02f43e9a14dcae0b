import type { ApiMethod, ApiParams, ApiResults, PushMessage, SwarmageApi } from '../../../api/contract.ts'
import { toApiError } from './errors.ts'
import { useTransportStatus } from './status.ts'

/** What the preload exposes: `window.swarmage.tasks.list(params)` per contract key, plus onPush. */
export interface PreloadBridge {
  onPush(listener: (message: PushMessage) => void): () => void
  [noun: string]: unknown
}

type DomainMethod = (params: unknown) => Promise<unknown>

/** The desktop transport: IPC through the preload's domain methods. Always "open". */
export function createBridgeTransport(bridge: PreloadBridge): SwarmageApi {
  useTransportStatus.setState({ kind: 'bridge', state: 'open', attempt: 0, retryAt: null, lastError: null, opens: 1 })
  return {
    async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResults[M]> {
      const dot = method.indexOf('.')
      const domain = bridge[method.slice(0, dot)] as Record<string, DomainMethod> | undefined
      const fn = domain?.[method.slice(dot + 1)]
      if (typeof fn !== 'function') throw toApiError({ code: 'internal', message: `the desktop bridge has no method ${method}: the app and console versions differ` }, method)
      try {
        return (await fn(params)) as ApiResults[M]
      } catch (err) {
        throw toApiError(err, method)
      }
    },
    subscribe(listener) {
      return bridge.onPush(listener)
    },
  }
}
