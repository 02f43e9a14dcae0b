/**
 * The type of `window.swarmage` (what src/preload exposes), for the renderer: import it type-only
 * (`import type { SwarmageBridge } from '../../preload/types.ts'`). Generated from the contract:
 * `tasks.list` → `window.swarmage.tasks.list(params)`, resolving with main's reply unchanged,
 * `{ result }` or `{ error: { code, message } }` (IpcReply in src/api/contract.ts): an object survives
 * contextBridge's structured clone whole, where a rejected Error would keep only its message.
 */
import type { ApiMethod, ApiParams, IpcReply, PushMessage } from '../api/contract.ts'

export type { IpcReply } from '../api/contract.ts'

export type ApiNoun = ApiMethod extends infer M ? (M extends `${infer N}.${string}` ? N : never) : never

export type SwarmageBridge = {
  readonly [N in ApiNoun]: {
    readonly [M in ApiMethod as M extends `${N}.${infer V}` ? V : never]: (params: ApiParams<M>) => Promise<IpcReply<M>>
  }
} & {
  /** Every push message, in order; returns the function that stops listening. */
  onPush(listener: (message: PushMessage) => void): () => void
}
