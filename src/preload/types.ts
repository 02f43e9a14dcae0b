/**
 * The type of `window.swarmage` (what src/preload exposes), for the renderer: import it type-only
 * (`import type { SwarmageBridge } from '../../preload/types.ts'`). Generated from the contract:
 * `tasks.list` → `window.swarmage.tasks.list(params)`, resolving with the result or rejecting with an
 * Error whose message is "[code] message" (contextBridge keeps only an Error's message).
 */
import type { ApiErrorShape, ApiMethod, ApiParams, ApiResults, PushMessage } from '../api/contract.ts'

export type ApiNoun = ApiMethod extends infer M ? (M extends `${infer N}.${string}` ? N : never) : never

export type SwarmageBridge = {
  readonly [N in ApiNoun]: {
    readonly [M in ApiMethod as M extends `${N}.${infer V}` ? V : never]: (params: ApiParams<M>) => Promise<ApiResults[M]>
  }
} & {
  /** Every push message, in order; returns the function that stops listening. */
  onPush(listener: (message: PushMessage) => void): () => void
}

/** What main answers on `swarmage:<method>`: a value either way, never a thrown error. */
export type IpcReply<M extends ApiMethod = ApiMethod> = { result: ApiResults[M] } | { error: ApiErrorShape }
