/**
 * Worker definitions the console keeps (type, module, processes, concurrency, config), and the file
 * watcher that reloads a definition's workers when its module changes. Watches folders, not files:
 * editors save by writing a new file and renaming it over the old one, which ends a file watch.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { z } from 'zod'
import { InputError, NotFoundError } from '../core/errors.ts'
import type { WorkerDefinitionRecord, workerDefinitionInput } from './contract.ts'
import { EXAMPLE_SETTINGS, EXAMPLE_TYPES, type ExampleType } from './examples.ts'
import type { DefinitionRow, SettingsStore } from './store.ts'

/** Editors write a file in several steps (truncate, write, rename): one reload per burst. */
const WATCH_DEBOUNCE_MS = 300
const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'])

export type DefinitionInput = z.infer<typeof workerDefinitionInput>

export class Definitions {
  private readonly watchers = new Map<string, FSWatcher>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private closed = false

  constructor(
    private readonly store: SettingsStore,
    /** Called (debounced) when a watched definition's module file changed. */
    private readonly onModuleChange: (definition: WorkerDefinitionRecord) => void,
    /**
     * Whether the example definitions exist for this run (--examples, npm start). Without it, seeded
     * examples from an earlier run are left in console.db but neither listed nor startable: a drone on
     * a shared queue must never run demo code on the cluster's `cpu`/`io` tasks by accident (issue 16).
     */
    private readonly examples = true,
  ) {}

  list(): WorkerDefinitionRecord[] {
    return this.store
      .listDefinitions()
      .filter((d) => this.examples || !d.example)
      .map(toRecord)
  }

  get(id: string): WorkerDefinitionRecord {
    const def = this.list().find((d) => d.id === id)
    if (!def) throw new NotFoundError(`no worker definition with id ${id}`)
    return def
  }

  save(input: DefinitionInput): WorkerDefinitionRecord {
    const module = isAbsolute(input.module) || input.module.startsWith('file:') ? input.module : resolve(input.module)
    // fileURLToPath decodes %20 and friends (`.pathname` does not) and refuses a file URL with a host.
    let path = module
    if (module.startsWith('file:')) {
      try {
        path = fileURLToPath(module)
      } catch (err) {
        throw new InputError(`module: ${module.slice(0, 200)} is not a usable file URL (${err instanceof Error ? err.message : String(err)})`)
      }
    }
    if (!existsSync(path) || !statSync(path).isFile()) throw new InputError(`module: no file at ${path}`)
    if (!MODULE_EXTENSIONS.has(extname(path))) throw new InputError(`module: ${basename(path)} is not a .js, .mjs, .cjs or .ts file`)
    const previous = input.id ? this.store.listDefinitions().find((d) => d.id === input.id) : undefined
    const row: DefinitionRow = {
      id: input.id ?? randomUUID(),
      type: input.type,
      module: path,
      processes: input.processes,
      concurrency: input.concurrency,
      config_json: input.config === undefined ? null : JSON.stringify(input.config),
      task_timeout_ms: input.taskTimeoutMs ?? null,
      watch: input.watch ? 1 : 0,
      // An edited example stays an example only while it still points at the example's file.
      example: previous?.example && previous.module === path ? previous.example : null,
    }
    this.store.putDefinition(row)
    this.rewatch()
    return toRecord(row)
  }

  remove(id: string): { removed: boolean } {
    const removed = this.store.removeDefinition(id)
    this.rewatch()
    return { removed }
  }

  /** Adds the example workers as definitions (first run), or points existing ones at `paths` (the app moved). */
  seedExamples(paths: Record<ExampleType, string>, add: boolean): void {
    const existing = new Map(this.store.listDefinitions().filter((d) => d.example).map((d) => [d.example!, d]))
    for (const type of EXAMPLE_TYPES) {
      const row = existing.get(type)
      if (row) {
        if (row.module !== paths[type] && existsSync(paths[type])) this.store.putDefinition({ ...row, module: paths[type] })
        continue
      }
      if (!add) continue
      this.store.putDefinition({
        id: `example-${type}`,
        type,
        module: paths[type],
        processes: EXAMPLE_SETTINGS[type].processes,
        concurrency: EXAMPLE_SETTINGS[type].concurrency,
        config_json: null,
        task_timeout_ms: null,
        watch: 1,
        example: type,
      })
    }
    this.rewatch()
  }

  /** Watches the folders of every definition with `watch` on; call after any change of the set. */
  rewatch(): void {
    if (this.closed) return
    const wanted = new Set(this.list().filter((d) => d.watch && d.moduleExists).map((d) => dirname(d.module)))
    for (const [dir, watcher] of this.watchers) {
      if (!wanted.has(dir)) {
        watcher.close()
        this.watchers.delete(dir)
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue
      try {
        const watcher = watch(dir, { persistent: false }, (_event, filename) => this.changed(dir, filename))
        watcher.on('error', () => {
          watcher.close()
          this.watchers.delete(dir)
        })
        this.watchers.set(dir, watcher)
      } catch {
        // A folder that cannot be watched (gone, or out of inotify watches): reloads are manual there.
      }
    }
  }

  close(): void {
    this.closed = true
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  private changed(dir: string, filename: string | Buffer | null): void {
    const name = filename === null ? null : filename.toString()
    for (const def of this.list()) {
      if (!def.watch || dirname(def.module) !== dir || (name !== null && basename(def.module) !== name)) continue
      const pending = this.timers.get(def.id)
      if (pending) clearTimeout(pending)
      this.timers.set(
        def.id,
        setTimeout(() => {
          this.timers.delete(def.id)
          if (this.closed) return
          const now = this.list().find((d) => d.id === def.id)
          if (now?.moduleExists) this.onModuleChange(now)
        }, WATCH_DEBOUNCE_MS),
      )
    }
  }
}

function toRecord(row: DefinitionRow): WorkerDefinitionRecord {
  const record: WorkerDefinitionRecord = {
    id: row.id,
    type: row.type,
    module: row.module,
    processes: row.processes,
    concurrency: row.concurrency,
    watch: row.watch === 1,
    moduleExists: existsSync(row.module),
  }
  if (row.config_json !== null) record.config = JSON.parse(row.config_json) as unknown
  if (row.task_timeout_ms !== null) record.taskTimeoutMs = row.task_timeout_ms
  if (row.example) record.example = row.example
  return record
}
