/**
 * The preload of the console window: sandboxed (built as CommonJS, see electron.vite.config.ts) and
 * context-isolated. It exposes the contract's domain methods as `window.swarmage` and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { buildBridge } from './bridge.ts'

contextBridge.exposeInMainWorld('swarmage', buildBridge(ipcRenderer))
