// The desktop app end to end, in Electron itself (playwright-core's _electron): the window opens on
// swarmage://app, the page has the bridge and no Node, a call crosses IPC to the real service, and
// the example drone's workers run as utility processes. It needs Electron's binary, which cannot be
// downloaded on an offline machine: there the test is reported as skipped, with the reason in its
// name and printed once. Everything it drives is also covered by the tests beside it.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { _electron as electron, type ElectronApplication } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { detectElectronBinary, isBuildStale } from '../../scripts/electron-binary.js'
import { tempDir } from '../helpers.ts'

const root = join(import.meta.dirname, '..', '..')
const binary = detectElectronBinary(root)
const hasBinary = binary.present
const reason = binary.present ? '' : ` (skipped: Electron binary not installed on this machine: ${binary.reason})`
if (!binary.present) console.log(`electron-e2e: skipped: Electron's binary is not installed here (${binary.reason}); the desktop glue is covered by the other test/desktop files.`)

describe('Electron app', () => {
  const tmp = tempDir('swarmage-e2e-')
  let app: ElectronApplication | undefined
  afterAll(async () => {
    await app?.close()
    tmp.cleanup()
  })

  it.skipIf(!hasBinary)(`opens the hardened console window with the bridge, and runs the example workers${reason}`, async () => {
    if (!binary.present) return
    if (isBuildStale(root)) {
      execFileSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'pipe' })
    }
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v
    app = await electron.launch({ executablePath: binary.path, args: [root], env: { ...env, SWARMAGE_USER_DATA_DIR: tmp.dir }, timeout: 60_000 })
    const page = await app.firstWindow()
    await page.waitForFunction(() => typeof (window as { swarmage?: unknown }).swarmage === 'object', undefined, { timeout: 30_000 })
    expect(page.url()).toBe('swarmage://app/index.html')

    const facts = await page.evaluate(async () => {
      const w = window as unknown as { swarmage: Record<string, any>; require?: unknown; process?: unknown }
      return {
        require: typeof w.require,
        process: typeof w.process,
        nouns: Object.keys(w.swarmage).sort(),
        info: (await w.swarmage.app.info({})).result,
      }
    })
    expect(facts.require).toBe('undefined')
    expect(facts.process).toBe('undefined')
    expect(facts.nouns).toContain('onPush')
    expect(facts.nouns).toContain('tasks')
    expect(facts.info).toMatchObject({ mode: 'desktop', dataDir: tmp.dir })

    // window.open is denied
    expect(await page.evaluate(() => window.open('https://example.com') === null)).toBe(true)

    // The first launch starts a drone with the example workers (utility processes) and demo tasks.
    await expect
      .poll(
        () =>
          page.evaluate(async () => {
            const drones = (await (window as any).swarmage.drones.list({})).result as Array<{ processes: Array<{ pid: number | null }> }>
            return drones.flatMap((d) => d.processes).filter((p) => p.pid !== null).length
          }),
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0)
    const metrics = await app.evaluate(({ app: a }) => a.getAppMetrics().map((m) => m.name ?? ''))
    expect(metrics.some((n) => n.startsWith('swarmage worker'))).toBe(true)
  })
})
