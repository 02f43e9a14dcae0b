/**
 * Builds `window.swarmage` from the contract's method list: one function per method, nested by noun,
 * each invoking `swarmage:<method>` and handing main's `{ result } | { error }` reply to the page as it came. Kept apart
 * from index.ts (which only hands it to contextBridge) so tests build it with a stand-in ipcRenderer.
 *
 * The page never sees ipcRenderer, an IPC event (its `sender` is ipcRenderer) or a channel name it
 * could choose: only these functions and `onPush`.
 */
import { API_METHODS, IPC_PREFIX, IPC_PUSH, type ApiMethod, type PushMessage } from '../api/contract.ts'
import type { IpcReply } from '../api/contract.ts'
import type { SwarmageBridge } from './types.ts'

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

export function buildBridge(ipc: IpcRendererLike): SwarmageBridge {
  const bridge: Record<string, Record<string, (params: unknown) => Promise<IpcReply>> | SwarmageBridge['onPush']> = {}
  for (const method of API_METHODS) {
    const dot = method.indexOf('.')
    const noun = method.slice(0, dot)
    const verb = method.slice(dot + 1)
    const domain = (bridge[noun] ??= {}) as Record<string, (params: unknown) => Promise<IpcReply>>
    domain[verb] = (params: unknown) => call(ipc, method, params)
  }
  bridge.onPush = (listener: (message: PushMessage) => void) => {
    const handler = (_event: unknown, messages: unknown): void => {
      if (!Array.isArray(messages)) return
      for (const message of messages as PushMessage[]) listener(message)
    }
    ipc.on(IPC_PUSH, handler)
    return () => {
      ipc.removeListener(IPC_PUSH, handler)
    }
  }
  return bridge as unknown as SwarmageBridge
}

/** Main's reply as it came: the renderer's bridge transport reads `{ result }` or `{ error }` itself. */
async function call(ipc: IpcRendererLike, method: ApiMethod, params: unknown): Promise<IpcReply> {
  const reply = (await ipc.invoke(IPC_PREFIX + method, params ?? {})) as IpcReply | undefined
  if (reply && typeof reply === 'object' && ('result' in reply || 'error' in reply)) return reply
  return { error: { code: 'internal', message: `${method}: the app answered with no result` } }
}
