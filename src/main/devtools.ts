/**
 * "Open DevTools" on a worker process: the worker runs with --inspect on 127.0.0.1 and reports its
 * inspector address (ws://127.0.0.1:PORT/UUID); Chromium's bundled DevTools front end attaches to it
 * as `devtools://devtools/bundled/js_app.html?ws=127.0.0.1:PORT/UUID` (the same page chrome://inspect
 * opens for a Node target). Only loopback addresses are accepted: the renderer names the address,
 * and DevTools on a remote inspector would run code there.
 */
import { BrowserWindow } from 'electron'
import { ApiError } from '../api/errors.ts'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

export function devtoolsUrlFor(inspectUrl: string): string {
  let u: URL
  try {
    u = new URL(inspectUrl)
  } catch {
    throw new ApiError('input', `drones.openDevTools: not an inspector address: ${inspectUrl.slice(0, 200)}`)
  }
  if (u.protocol !== 'ws:' || !LOOPBACK.has(u.hostname) || !u.port || !/^\/[A-Za-z0-9-]+$/.test(u.pathname)) {
    throw new ApiError('input', `drones.openDevTools: expected ws://127.0.0.1:PORT/ID from a local worker, got ${inspectUrl.slice(0, 200)}`)
  }
  return `devtools://devtools/bundled/js_app.html?ws=${u.host}${u.pathname}`
}

/** Opens a DevTools window on the worker; what the service's `openDevTools` option calls. */
export async function openDevTools(inspectUrl: string): Promise<{ opened: boolean; url: string }> {
  const url = devtoolsUrlFor(inspectUrl)
  const win = new BrowserWindow({ width: 1100, height: 760, title: `DevTools: ${inspectUrl}`, autoHideMenuBar: true })
  await win.loadURL(url)
  return { opened: true, url }
}
