/**
 * The IPC side of the console API: one `ipcMain.handle('swarmage:<method>')` per contract method,
 * generated from API_METHODS so a method added to the contract is routed without touching this file.
 *
 * Every call is checked twice before it reaches the service: the SENDER (our window's main frame,
 * showing our renderer's origin; not an iframe, not a page navigated elsewhere, not another
 * webContents) and the PAYLOAD (the method's zod schema). Results and errors both come back as
 * values, `{ result }` or `{ error: ApiErrorShape }`: a thrown error would reach the renderer as
 * "Error invoking remote method …" with its code lost.
 */
import type { IpcMainInvokeEvent, WebContents } from 'electron'
import { API_METHODS, IPC_PREFIX, apiInputs, type ApiMethod, type ApiResults, type IpcReply } from '../api/contract.ts'
import { inputError, toApiError } from '../api/errors.ts'

/** What the router needs of ipcMain (the real one in index.ts; a stand-in in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}

/** What the router needs of the console service. */
export interface ApiHandler {
  /** `actor`: who calls, for the console's activity list; always `{ via: 'ipc' }` here. */
  handle(method: ApiMethod, rawParams: unknown, actor: { via: 'ipc' }): Promise<unknown>
}

export interface RouterOptions {
  ipcMain: IpcMainLike
  service: ApiHandler
  isTrustedSender(event: IpcMainInvokeEvent): boolean
  /** Where refused calls are reported (never with their params: they may carry a password). */
  warn?: (message: string) => void
}

/** Registers every contract method; returns the function that unregisters them. */
export function registerApiRoutes(options: RouterOptions): () => void {
  const { ipcMain, service, isTrustedSender, warn = () => undefined } = options
  for (const method of API_METHODS) {
    ipcMain.handle(IPC_PREFIX + method, async (event, rawParams): Promise<IpcReply> => {
      if (!isTrustedSender(event)) {
        warn(`refused ${method}: sender ${describeSender(event)} is not the Swarmage console window`)
        return { error: { code: 'forbidden', message: `${method}: refused: the caller is not the Swarmage console window` } }
      }
      // Validated here even though the service validates again: a malformed call is refused before
      // it reaches any service code, and the service's defaults are applied by its own parse.
      const parsed = apiInputs[method].safeParse(rawParams ?? {})
      if (!parsed.success) return { error: inputError(method, parsed.error).toShape() }
      try {
        return { result: (await service.handle(method, rawParams ?? {}, { via: 'ipc' })) as ApiResults[ApiMethod] }
      } catch (err) {
        return { error: toApiError(err) }
      }
    })
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(IPC_PREFIX + method)
  }
}

export interface SenderPolicy {
  /** The window whose main frame may call; undefined once it is closed. */
  webContents(): WebContents | undefined
  /** Our renderer's origin: `swarmage://app` when built, the dev server's origin under `electron-vite dev`. */
  origin: string
}

/** The sender check the router uses: our window, its main frame, our origin. */
export function senderCheck(policy: SenderPolicy): (event: IpcMainInvokeEvent) => boolean {
  return (event) => {
    const contents = policy.webContents()
    const frame = event.senderFrame
    if (!contents || !frame || event.sender !== contents) return false
    const main = contents.mainFrame
    // The same frame, whether or not Electron hands out the same wrapper object for it.
    const isMain = frame === main || (frame.processId === main.processId && frame.frameToken === main.frameToken)
    if (!isMain || frame.parent !== null || frame.detached) return false
    return originOf(frame.url) === policy.origin
  }
}

export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url)
    // Custom schemes registered `standard` have a host; URL#origin is "null" for them, so build it.
    return `${u.protocol}//${u.host}`
  } catch {
    return undefined
  }
}

function describeSender(event: IpcMainInvokeEvent): string {
  const url = event.senderFrame?.url ?? '(no frame)'
  return `${url.slice(0, 200)}${event.senderFrame && event.senderFrame.parent !== null ? ' (a subframe)' : ''}`
}
