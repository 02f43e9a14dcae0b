import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Drone, InputError, openQueue } from '../../src/index.ts'
import memoQueue, { calls } from '../fixtures/plugin/memo-queue.ts'
import type { GlobalQueueDriver } from '../../src/queue/driver.ts'
import { runMaintenance } from '../../src/queue/maintenance.ts'
import { withLegacyMaintenance } from '../../src/queue/open.ts'
import { tempDir, until } from '../helpers.ts'

const tmp = tempDir('swarmage-plugin-')
afterAll(() => tmp.cleanup())
const pluginPath = resolve('test/fixtures/plugin/memo-queue.ts')

describe('plug-in queue modules ({ module, config })', () => {
  it('loads a module by path relative to the base folder, passes its config, and drones run on it', async () => {
    const queue = await openQueue({ module: pluginPath, config: { file: 'plugin.db' } }, { baseDir: tmp.dir, migrate: true })
    try {
      expect(queue.kind).toBe('memo')
      const worker = join(tmp.dir, 'echo.mjs')
      writeFileSync(worker, 'export default async (p) => ({ echoed: p.n })\n')
      const ids = await queue.enqueueMany([1, 2, 3].map((n) => ({ type: 'echo', payload: { n } })))
      const drone = new Drone({ queue, workers: { echo: { module: worker } }, drone: { name: 'plugin-drone' }, baseDir: tmp.dir })
      const before = calls.claim
      await drone.start()
      await until(async () => (await queue.stats()).types.echo?.succeeded === 3, 20_000, 'tasks on the plug-in queue')
      await drone.stop()
      expect((await queue.get(ids[1]!))!.result).toEqual({ echoed: 2 })
      expect(calls.claim).toBeGreaterThan(before)
    } finally {
      await queue.close()
    }
  })

  it('resolves "+name" as a package name taken literally and a bare name as swarmage-queue-NAME', async () => {
    const base = join(tmp.dir, 'app')
    for (const pkg of ['my-queue', 'swarmage-queue-memo']) {
      const dir = join(base, 'node_modules', pkg)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: pkg, type: 'module', main: 'index.js' }))
      // Packages in node_modules load natively (not through the test's TypeScript transform), so this
      // one hands over to the TypeScript fixture through a global the test sets.
      writeFileSync(join(dir, 'index.js'), `export default (config, ctx) => globalThis.__memoQueue(${JSON.stringify(pkg)}, config, ctx)\n`)
    }
    const loaded: string[] = []
    ;(globalThis as Record<string, unknown>).__memoQueue = (pkg: string, config: Record<string, unknown>, ctx: { baseDir: string }) => {
      loaded.push(pkg)
      return memoQueue(config, ctx)
    }
    for (const module of ['+my-queue', 'memo']) {
      const queue = await openQueue({ module, config: { file: `${module.replace('+', '')}.db` } }, { baseDir: base, migrate: true })
      expect(queue.kind).toBe('memo')
      expect(await queue.enqueue('t', {})).toMatch(/^[0-9a-f-]{36}$/)
      await queue.close()
    }
    expect(loaded).toEqual(['my-queue', 'swarmage-queue-memo'])
  })

  it('refuses a missing module, a module without a factory, and a bad config with one clear error', async () => {
    await expect(openQueue({ module: './nope.js' }, { baseDir: tmp.dir })).rejects.toThrow(/queue module "\.\/nope\.js"/)
    await expect(openQueue({ module: 'no-such-backend' }, { baseDir: tmp.dir })).rejects.toThrow(
      /queue module "no-such-backend" not found \(tried swarmage-queue-no-such-backend, no-such-backend\)/,
    )
    const notFactory = join(tmp.dir, 'not-factory.mjs')
    writeFileSync(notFactory, 'export const x = 1\n')
    await expect(openQueue({ module: notFactory }, { baseDir: tmp.dir })).rejects.toBeInstanceOf(InputError)
    await expect(openQueue({ module: pluginPath, config: {} }, { baseDir: tmp.dir })).rejects.toThrow(/config\.file/)
  })
})

describe('a plug-in driver written against the first round interface (maintenanceRun, no primitives)', () => {
  it('still maintains: the shared loop runs its own pass once per turn and prunes nothing beside it', async () => {
    const passes: { holder: string; batchSize: number }[] = []
    const legacy = {
      taskClaim: async () => [],
      maintenanceRun: async (p: { holder: string; batchSize: number }) => {
        passes.push(p)
        return { pruned: 3 }
      },
      settingsGet: async () => ({ retentionMs: 1000 }),
    } as unknown as GlobalQueueDriver
    const adapted = withLegacyMaintenance(legacy)
    expect(await runMaintenance(adapted, { holder: 'drone-a' })).toBeNull()
    expect(passes).toEqual([{ holder: 'drone-a', batchSize: 1000 }])
    expect(await adapted.taskPrune({ retentionMs: 0, limit: 10 })).toBe(0)
  })
})
