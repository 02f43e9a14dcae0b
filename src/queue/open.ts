import { createRequire } from 'node:module'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { InputError, errorMessage } from '../core/errors.ts'
import { typeScriptFor } from '../core/typescript.ts'
import { defaultQueueAddress, parseQueueAddress, redact, type QueueAddress, type QueueAddressInput } from './address.ts'
import type { DriverFactory, GlobalQueueDriver } from './driver.ts'
import { Queue, type QueueOptions } from './queue.ts'

export interface OpenQueueOptions extends QueueOptions {
  /**
   * 'auto' (default): SQLite creates or upgrades its schema on open; PostgreSQL checks it and says
   * clearly when `swarmage migrate` is needed. true: migrate on any backend (drones do this). false: neither.
   */
  migrate?: boolean | 'auto'
  /** Base folder for relative paths (the config file's folder). Default: the working directory. */
  baseDir?: string
}

/** Opens the global queue at an address (CONTRACT.md#queue-addresses). */
export async function openQueue(address?: QueueAddressInput, options: OpenQueueOptions = {}): Promise<Queue> {
  const baseDir = options.baseDir ?? process.cwd()
  const parsed = parseQueueAddress(address ?? defaultQueueAddress(), baseDir)
  const driver = await createDriver(parsed)
  const migrate = options.migrate ?? 'auto'
  try {
    if (migrate === true || (migrate === 'auto' && parsed.kind === 'sqlite')) await driver.schemaMigrate()
    else if (migrate === 'auto') await driver.schemaCheck()
  } catch (err) {
    await driver.close().catch(() => undefined)
    throw err
  }
  return new Queue(driver, describe(parsed), options)
}

export async function createDriver(address: QueueAddress): Promise<GlobalQueueDriver> {
  switch (address.kind) {
    case 'sqlite': {
      const { SqliteDriver } = await import('./sqlite/driver.ts')
      return SqliteDriver.open({ path: address.path })
    }
    case 'postgres': {
      const { PostgresDriver } = await import('./postgres/driver.ts')
      return PostgresDriver.open({ connectionString: address.connectionString, schema: address.schema })
    }
    case 'module':
      return loadPluginDriver(address)
  }
}

/**
 * Plug-in backends, as in the original (`module => 'DBI::Generic'`, `'+MyModule'`): a path
 * (`./x.js`, absolute) is loaded relative to the config file; `+name` is a package name taken
 * literally; a bare `name` is looked up as `swarmage-queue-NAME`, then as `name` itself.
 */
async function loadPluginDriver(address: Extract<QueueAddress, { kind: 'module' }>): Promise<GlobalQueueDriver> {
  const spec = address.module
  const candidates: string[] = []
  if (spec.startsWith('.') || isAbsolute(spec)) candidates.push(pathToFileURL(resolve(address.baseDir, spec)).href)
  else if (spec.startsWith('+')) candidates.push(spec.slice(1))
  else candidates.push(`swarmage-queue-${spec}`, spec)
  const require = createRequire(resolve(address.baseDir, 'noop.js'))
  let lastError: unknown
  for (const candidate of candidates) {
    let url = candidate
    if (!candidate.startsWith('file:')) {
      try {
        url = pathToFileURL(require.resolve(candidate)).href
      } catch (err) {
        lastError = err
        continue
      }
    }
    let mod: Record<string, unknown>
    try {
      await typeScriptFor(url)
      mod = (await import(url)) as Record<string, unknown>
    } catch (err) {
      throw new InputError(`queue module "${spec}" failed to load: ${errorMessage(err)}`, { cause: err })
    }
    const factory = (typeof mod.default === 'function' ? mod.default : mod.createDriver) as DriverFactory | undefined
    if (typeof factory !== 'function') {
      throw new InputError(`queue module "${spec}" must export a driver factory (default export or createDriver)`)
    }
    const driver = await factory(address.config, { baseDir: address.baseDir })
    if (!driver || typeof driver.taskClaim !== 'function') {
      throw new InputError(`queue module "${spec}" returned something that is not a queue driver`)
    }
    return withLegacyMaintenance(driver)
  }
  throw new InputError(`queue module "${spec}" not found (tried ${candidates.join(', ')})`, { cause: lastError })
}

function describe(a: QueueAddress): string {
  if (a.kind === 'sqlite') return `sqlite:${a.path}`
  if (a.kind === 'postgres') return redact(a.connectionString) + (a.schema === 'swarmage' ? '' : ` (schema ${a.schema})`)
  return `module:${a.module}`
}

/** The one-pass maintenance call plug-in drivers implemented before the primitives (first round's interface). */
type LegacyMaintenance = { maintenanceRun?: (params: { holder: string; batchSize: number }) => Promise<{ pruned: number } | null> }

/**
 * A plug-in module written against the first round's driver interface has `maintenanceRun` (the whole
 * pass, its own lease) and none of the maintenance primitives. Such a module keeps working: taking the
 * lease runs its own pass and answers "held elsewhere", so the shared loop (src/queue/maintenance.ts)
 * prunes nothing more itself. A module with the primitives is used as it is.
 */
export function withLegacyMaintenance(driver: GlobalQueueDriver): GlobalQueueDriver {
  const d = driver as GlobalQueueDriver & LegacyMaintenance
  if (typeof d.maintenanceLeaseTake === 'function' || typeof d.maintenanceRun !== 'function') return driver
  const legacy = d.maintenanceRun.bind(d)
  return Object.assign(d, {
    maintenanceLeaseTake: async ({ holder }: { holder: string }) => {
      await legacy({ holder, batchSize: 1_000 })
      return false
    },
    taskPrune: async () => 0,
    droneForget: async () => undefined,
  })
}
