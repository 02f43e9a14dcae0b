import { isAbsolute, resolve } from 'node:path'
import { InputError } from '../core/errors.ts'

/** A parsed queue address (CONTRACT.md#queue-addresses). */
export type QueueAddress =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; connectionString: string; schema: string }
  | { kind: 'module'; module: string; config: Record<string, unknown>; baseDir: string }

export type QueueAddressInput = string | { module: string; config?: Record<string, unknown> }

export const DEFAULT_SCHEMA = 'swarmage'
const SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** The headless default: ./.swarmage/swarm.db (the desktop app passes its own data folder). */
export function defaultQueueAddress(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.SWARMAGE_QUEUE && env.SWARMAGE_QUEUE.trim() !== '' ? env.SWARMAGE_QUEUE : `sqlite:${resolve(cwd, '.swarmage/swarm.db')}`
}

export function parseQueueAddress(input: QueueAddressInput, baseDir = process.cwd()): QueueAddress {
  if (typeof input === 'object' && input !== null) {
    if (typeof input.module !== 'string' || input.module === '') {
      throw new InputError('queue module address needs a "module" string (a package name or a ./path.js)')
    }
    if (input.config !== undefined && (typeof input.config !== 'object' || input.config === null || Array.isArray(input.config))) {
      throw new InputError('queue module "config" must be an object')
    }
    return { kind: 'module', module: input.module, config: input.config ?? {}, baseDir }
  }
  if (typeof input !== 'string' || input.trim() === '') throw new InputError('queue address is empty')
  const text = input.trim()
  if (text.startsWith('sqlite:')) {
    let path = text.slice('sqlite:'.length)
    if (path.startsWith('//')) path = path.slice(2) // tolerate sqlite://path
    if (path === '') throw new InputError(`queue address "${text}" has no file path (expected sqlite:PATH)`)
    if (path === ':memory:') throw new InputError('sqlite::memory: cannot be shared by drones and workers; give a file path')
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(baseDir, path) }
  }
  if (text.startsWith('postgres://') || text.startsWith('postgresql://')) {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new InputError(`queue address "${redact(text)}" is not a valid PostgreSQL URL`)
    }
    const schema = url.searchParams.get('schema') ?? DEFAULT_SCHEMA
    if (!SCHEMA_RE.test(schema)) throw new InputError(`schema "${schema}" must be a plain identifier (letters, digits, _)`)
    url.searchParams.delete('schema')
    return { kind: 'postgres', connectionString: url.toString(), schema }
  }
  throw new InputError(
    `unknown queue address "${redact(text)}": expected sqlite:PATH, postgres://user@host:port/db, or { module, config } in a config file`,
  )
}

/** Hides a password in an address before it is shown or logged. */
export function redact(address: string): string {
  // Parsed, not pattern-matched: `postgres://:pw@h`, an `@` inside a password, and `?password=` all count.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(address)) return address
  let url: URL
  try {
    url = new URL(address)
  } catch {
    // Not parseable: hide everything between the scheme and the last @ before the path.
    return address.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***')
  }
  let changed = false
  if (url.password) {
    url.password = '***'
    changed = true
  }
  for (const key of [...url.searchParams.keys()]) {
    if (key.toLowerCase() === 'password') {
      url.searchParams.set(key, '***')
      changed = true
    }
  }
  return changed ? url.toString().replace(/%2A%2A%2A/g, '***') : address
}
