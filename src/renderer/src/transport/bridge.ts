import type { ApiMethod, ApiParams, ApiResults, IpcReply, PushMessage, SwarmageApi } from '../../../api/contract.ts'
import { ApiError, toApiError } from './errors.ts'
import { useTransportStatus } from './status.ts'

/** What the preload exposes: `window.swarmage.tasks.list(params)` per contract key, plus onPush. */
export interface PreloadBridge {
  onPush(listener: (message: PushMessage) => void): () => void
  [noun: string]: unknown
}

type DomainMethod = (params: unknown) => Promise<IpcReply>

/**
 * The desktop transport: IPC through the preload's domain methods, which resolve with main's reply
 * object unchanged (src/preload/bridge.ts): its error's code is a field, read as is. Always "open".
 */
export function createBridgeTransport(bridge: PreloadBridge): SwarmageApi {
  useTransportStatus.setState({ kind: 'bridge', state: 'open', attempt: 0, retryAt: null, lastError: null, opens: 1 })
  return {
    async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResults[M]> {
      const dot = method.indexOf('.')
      const domain = bridge[method.slice(0, dot)] as Record<string, DomainMethod> | undefined
      const fn = domain?.[method.slice(dot + 1)]
      if (typeof fn !== 'function') throw new ApiError('internal', `the desktop bridge has no method ${method}: the app and console versions differ`, method)
      let reply: IpcReply
      try {
        reply = await fn(params)
      } catch (err) {
        // Only IPC itself fails here (no handler in main, a closed window): main answers values.
        throw toApiError(err, method)
      }
      if ('error' in reply) throw new ApiError(reply.error.code, reply.error.message, method)
      return reply.result as ApiResults[M]
    },
    subscribe(listener) {
      return bridge.onPush(listener)
    },
  }
}
