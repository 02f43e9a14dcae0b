/**
 * The Electron main process: a thin shell around the console service (src/api/service.ts), which
 * does all the work: the same service the browser console serves. This file wires Electron's pieces
 * to it: the hardened window, IPC routes, batched pushes, utility-process workers, safeStorage
 * secrets, the file dialog, DevTools windows, and an orderly quit that lets drones drain.
 */
import { join } from 'node:path'
import { BrowserWindow, app, dialog, ipcMain, protocol, safeStorage, session, utilityProcess } from 'electron'
import { IPC_PUSH } from '../api/contract.ts'
import { examplesRequested } from '../api/examples.ts'
import { ConsoleService } from '../api/service.ts'
import { DEV_RENDERER_CSP, RENDERER_CSP_HEADER } from './csp.ts'
import { desktopApi } from './desktop-api.ts'
import { openDevTools } from './devtools.ts'
import { originOf, registerApiRoutes, senderCheck } from './ipc-router.ts'
import { appPaths } from './paths.ts'
import { PushBatcher } from '../api/push-batcher.ts'
import { RENDERER_INDEX_URL, RENDERER_ORIGIN, RENDERER_SCHEME, RENDERER_SCHEME_PRIVILEGES, rendererRequestHandler } from './renderer-protocol.ts'
import { SafeStorageSecretStore } from './secrets.ts'
import { UtilityProcessSpawner } from './utility-spawner.ts'
import { CONSOLE_PARTITION, createConsoleWindow, hardenSession } from './window.ts'

/** How long quitting waits for drones to drain: the default graceMs (30 s) plus margin. */
const QUIT_DRAIN_MS = 35_000

// Must precede 'ready': a scheme's privileges are fixed when the network service starts.
protocol.registerSchemesAsPrivileged([RENDERER_SCHEME_PRIVILEGES])

// A separate data folder (tests, a second profile); must be set before 'ready'.
if (process.env.SWARMAGE_USER_DATA_DIR) app.setPath('userData', process.env.SWARMAGE_USER_DATA_DIR)

// One instance: a second launch focuses the first (two would run two sets of drones and workers).
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  main()
}

function main(): void {
  let win: BrowserWindow | undefined
  let service: ConsoleService | undefined
  let stopping: Promise<void> | undefined

  // Every webContents, including any we did not create ourselves: no windows, no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
    contents.on('will-attach-webview', (event) => event.preventDefault())
  })

  app.on('second-instance', () => {
    if (win && !win.isDestroyed()) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })

  void app.whenReady().then(async () => {
    const paths = appPaths({ isPackaged: app.isPackaged, appPath: app.getAppPath(), resourcesPath: process.resourcesPath })
    const dataDir = app.getPath('userData')
    // `electron-vite dev` serves the renderer with HMR; never honoured in a packaged app.
    const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
    const origin = (devUrl && originOf(devUrl)) || RENDERER_ORIGIN

    const ses = session.fromPartition(CONSOLE_PARTITION)
    ses.protocol.handle(RENDERER_SCHEME, rendererRequestHandler(paths.rendererDir))
    hardenSession(ses, { origin, csp: devUrl ? DEV_RENDERER_CSP : RENDERER_CSP_HEADER })

    const secrets = SafeStorageSecretStore.inDataDir(safeStorage, dataDir)
    service = new ConsoleService({
      dataDir,
      mode: 'desktop',
      spawner: new UtilityProcessSpawner({ fork: (...args) => utilityProcess.fork(...args), hostPath: paths.hostPath }),
      secrets,
      examplesDir: join(paths.resourcesDir, 'workers'),
      // Only when asked for (npm start passes --examples): a desktop console on a shared queue offers no demo code.
      seedExamples: examplesRequested(process.argv, process.env),
      autostart: true,
      pickModule: async () => {
        const options: Electron.OpenDialogOptions = {
          title: 'Choose a worker module',
          properties: ['openFile'],
          filters: [{ name: 'Worker modules', extensions: ['js', 'mjs', 'cjs', 'ts', 'mts', 'cts'] }],
        }
        const picked = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
        return picked.canceled ? null : (picked.filePaths[0] ?? null)
      },
      openDevTools: async (inspectUrl) => (await openDevTools(inspectUrl)).opened,
    })
    const svc = service
    // Routes exist before the page loads; calls made while the service starts wait for it.
    const started = svc.start()
    started.catch((err: unknown) => console.error('swarmage: the console service failed to start:', err))
    registerApiRoutes({
      ipcMain,
      service: desktopApi(svc, secrets, started),
      isTrustedSender: senderCheck({ webContents: () => (win && !win.isDestroyed() ? win.webContents : undefined), origin }),
      warn: (message) => console.warn(`swarmage: ${message}`),
    })

    const openWindow = (): void => {
      win = createConsoleWindow({ preloadPath: paths.preloadPath, url: devUrl ?? RENDERER_INDEX_URL, origin })
      const current = win
      const batcher = new PushBatcher({
        send: (messages) => {
          if (!current.isDestroyed()) current.webContents.send(IPC_PUSH, messages)
        },
      })
      const unsubscribe = svc.subscribe((message) => batcher.push(message))
      current.on('closed', () => {
        unsubscribe()
        batcher.stop()
        if (win === current) win = undefined
      })
    }
    openWindow()
    app.on('activate', () => {
      if (!win) openWindow()
    })
  }).catch((err: unknown) => {
    // e.g. the data folder is not writable, or better-sqlite3 does not load: say so, do not linger.
    const message = err instanceof Error ? err.message : String(err)
    console.error('swarmage: the app could not start:', err)
    dialog.showErrorBox('Swarmage could not start', message)
    app.exit(1)
  })

  app.on('window-all-closed', () => {
    // macOS keeps an app (and here its drones) running with no window, as users expect there.
    if (process.platform !== 'darwin') app.quit()
  })

  // Quitting drains drones first (running tasks finish or are handed back), bounded by QUIT_DRAIN_MS.
  app.on('before-quit', (event) => {
    if (!service) return
    event.preventDefault()
    stopping ??= Promise.race([
      service.stop(),
      new Promise<void>((resolve) => setTimeout(resolve, QUIT_DRAIN_MS).unref()),
    ])
      .catch((err: unknown) => console.error('swarmage: stopping the console service failed:', err))
      .finally(() => app.exit(0))
  })

  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit())
}
