import type { ApiMethod, ApiParams, ApiResults, PushMessage, SwarmageApi } from '../../../api/contract.ts'
import { createBridgeTransport, type PreloadBridge } from './bridge.ts'
import { createWebSocketTransport, socketUrl, takeToken } from './websocket.ts'

declare global {
  interface Window {
    swarmage?: PreloadBridge
  }
}

let api: SwarmageApi | null = null

/** Picks the transport once: the preload bridge inside Electron, else a WebSocket to this origin. */
export function startTransport(): SwarmageApi {
  if (api) return api
  api = window.swarmage && typeof window.swarmage.onPush === 'function' ? createBridgeTransport(window.swarmage) : createWebSocketTransport({ url: socketUrl(window.location, takeToken(window)) })
  return api
}

export function call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResults[M]> {
  return startTransport().call(method, params)
}

export function subscribe(listener: (m: PushMessage) => void): () => void {
  return startTransport().subscribe(listener)
}

export { ApiError, fixHint, toApiError } from './errors.ts'
export { useTransportStatus } from './status.ts'
