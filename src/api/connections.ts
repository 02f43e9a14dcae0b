/**
 * Saved queue connections, plus the built-in `embedded` one. Passwords go through the SecretStore
 * and never come back out of the service: `Connection` says only `hasPassword`, `display` is redacted,
 * and error messages are redacted before they reach a client (errors.ts). One Queue per connection
 * is opened lazily and kept (drones and the task views share it) until the connection is removed
 * or changed, or the service stops.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { InputError, NotFoundError, SchemaError } from '../core/errors.ts'
import { parseQueueAddress, redact } from '../queue/address.ts'
import { createDriver, openQueue } from '../queue/open.ts'
import type { Queue } from '../queue/queue.ts'
import type { ApiResults, Connection, ConnectionInput } from './contract.ts'
import { classifyConnectionError } from './connection-errors.ts'
import { describe } from './errors.ts'
import { connectionTarget } from './target.ts'
import type { SecretStore } from './secrets.ts'
import type { ConnectionRow, SettingsStore } from './store.ts'

export const EMBEDDED_ID = 'embedded'
/** A connection test gives up after this long: pg has no connect timeout of its own by default. */
const TEST_TIMEOUT_MS = 10_000

export interface ConnectionsOptions {
  dataDir: string
  /** Address of the embedded connection; default `sqlite:<dataDir>/swarm.db`. */
  defaultQueue?: string | undefined
  /** Tells why a connection cannot change now (a drone runs on it), or null. */
  inUse: (id: string) => string | null
  /** Why a password cannot be stored now (no secret storage, plain text not accepted), or null. */
  refusePassword: () => string | null
}

export class Connections {
  private readonly queues = new Map<string, Promise<Queue>>()
  private readonly embeddedAddress: string

  constructor(
    private readonly store: SettingsStore,
    private readonly secrets: SecretStore,
    private readonly options: ConnectionsOptions,
  ) {
    this.embeddedAddress = options.defaultQueue ?? `sqlite:${join(options.dataDir, 'swarm.db')}`
  }

  list(): Connection[] {
    return [this.embedded(), ...this.store.listConnections().map((row) => this.view(row))]
  }

  get(id: string): Connection {
    if (id === EMBEDDED_ID) return this.embedded()
    const row = this.store.getConnection(id)
    if (!row) throw new NotFoundError(`no connection with id ${id}`)
    return this.view(row)
  }

  save(input: ConnectionInput): Connection {
    if (input.id === EMBEDDED_ID) throw new InputError('the embedded connection is built in and cannot be changed')
    const previous = input.id ? this.store.getConnection(input.id) : null
    if (input.id && previous) this.assertNotInUse(input.id, 'change')
    const built = this.toRow(input, previous)
    const row = this.encryptInto(built.row, built.password)
    // Parse once now so a bad address is refused at save time, not at first use.
    parseQueueAddress(this.addressOf(row))
    this.store.putConnection(row)
    void this.closeQueue(row.id)
    return this.view(row)
  }

  async remove(id: string): Promise<{ removed: boolean }> {
    if (id === EMBEDDED_ID) throw new InputError('the embedded connection is built in and cannot be removed')
    this.assertNotInUse(id, 'remove')
    const removed = this.store.removeConnection(id)
    await this.closeQueue(id)
    return { removed }
  }

  /** Pings a saved connection or an unsaved form (whose password may be left out to reuse the saved one). */
  async test(params: { id: string } | ConnectionInput): Promise<ApiResults['connections.test']> {
    let address: string
    try {
      address = 'kind' in params ? this.addressOfInput(params) : this.address(params.id)
    } catch (err) {
      return { ok: false, error: redact(describe(err)) }
    }
    let driver: Awaited<ReturnType<typeof createDriver>> | undefined
    let timer: NodeJS.Timeout | undefined
    const attempt = (async (): Promise<ApiResults['connections.test']> => {
      driver = await createDriver(parseQueueAddress(address))
      const { version, roundTripMs } = await driver.ping()
      let schema: 'current' | 'missing' | 'outdated' = 'current'
      try {
        await driver.schemaCheck()
      } catch (err) {
        if (!(err instanceof SchemaError)) throw err
        schema = /missing|not (been )?created|does not exist|no schema/i.test(err.message) ? 'missing' : 'outdated'
      }
      return { ok: true, version, roundTripMs, schema }
    })()
    const timeout = new Promise<ApiResults['connections.test']>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `no answer from ${redact(address)} within ${TEST_TIMEOUT_MS / 1000} s` }), TEST_TIMEOUT_MS)
    })
    try {
      return await Promise.race([attempt, timeout])
    } catch (err) {
      const classified = classifyConnectionError(err, address)
      return { ok: false, error: classified?.shape.message ?? `cannot connect to ${redact(address)}: ${redact(describe(err))}` }
    } finally {
      clearTimeout(timer)
      // The attempt may still be connecting after a timeout: close the driver whenever it exists.
      void attempt.catch(() => undefined).finally(() => driver?.close().catch(() => undefined))
    }
  }

  async migrate(id: string): Promise<{ applied: number[] }> {
    const open = this.queues.get(id)
    if (open) {
      const queue = await open.catch(() => null)
      if (queue) return queue.migrate()
    }
    const driver = await createDriver(parseQueueAddress(this.address(id)))
    try {
      return await driver.schemaMigrate()
    } finally {
      await driver.close().catch(() => undefined)
      // A failed lazy open (schema missing) must be retried now that the schema exists.
      if (this.queues.get(id) === open) this.queues.delete(id)
    }
  }

  /** The connection's queue, opened on first use (SQLite migrates on open; PostgreSQL checks its schema). */
  queue(id: string): Promise<Queue> {
    let queue = this.queues.get(id)
    if (!queue) {
      const address = this.address(id)
      queue = openQueue(address)
      this.queues.set(id, queue)
      queue.catch(() => {
        if (this.queues.get(id) === queue) this.queues.delete(id)
      })
    }
    return queue
  }

  /** The full address, password included: stays inside the service. */
  address(id: string): string {
    if (id === EMBEDDED_ID) return this.embeddedAddress
    const row = this.store.getConnection(id)
    if (!row) throw new NotFoundError(`no connection with id ${id}`)
    return this.addressOf(row)
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.queues.keys()].map((id) => this.closeQueue(id)))
  }

  private async closeQueue(id: string): Promise<void> {
    const queue = this.queues.get(id)
    if (!queue) return
    this.queues.delete(id)
    const q = await queue.catch(() => null)
    await q?.close().catch(() => undefined)
  }

  private assertNotInUse(id: string, verb: string): void {
    const why = this.options.inUse(id)
    if (why) throw new InputError(`cannot ${verb} connection ${id}: ${why}`)
  }

  private embedded(): Connection {
    const parsed = parseQueueAddress(this.embeddedAddress)
    const base = { id: EMBEDDED_ID, name: 'Embedded', builtin: true, hasPassword: false, display: redact(this.embeddedAddress), target: connectionTarget(this.embeddedAddress) }
    if (parsed.kind === 'sqlite') return { ...base, kind: 'sqlite', path: parsed.path }
    return { ...base, kind: 'postgres', address: stripPassword(this.embeddedAddress).address, hasPassword: /\/\/[^:/@]+:[^@]+@/.test(this.embeddedAddress) }
  }

  /**
   * The row for an input, without touching the secret store: `password` is the new one given (in the
   * field or inside the address), '' to clear it, undefined to keep the previous one (in `row`).
   */
  private toRow(input: ConnectionInput, previous: ConnectionRow | null): { row: ConnectionRow; password: string | undefined } {
    const row: ConnectionRow = {
      id: input.id ?? randomUUID(),
      name: input.name,
      kind: input.kind,
      path: null,
      address: null,
      host: null,
      port: null,
      database: null,
      user: null,
      password: null,
      sslmode: input.sslmode ?? null,
      schema: input.schema ?? null,
    }
    if (input.kind === 'sqlite') {
      if (!input.path) throw new InputError('path: an SQLite connection needs the database file')
      row.path = input.path
      return { row, password: undefined }
    }
    let password = input.password
    if (input.address) {
      if (!/^postgres(ql)?:\/\//.test(input.address)) throw new InputError('address: expected postgres://user@host:port/db')
      const stripped = stripPassword(input.address)
      row.address = stripped.address
      if (stripped.password !== undefined && password === undefined) password = stripped.password
    } else {
      if (!input.host) throw new InputError('host: a PostgreSQL connection needs either address, or host (with port, database, user)')
      // The host goes into a URL: only a name or an IP literal, so it cannot add a path or `?sslrootcert=`.
      if (!/^[A-Za-z0-9_.-]{1,253}$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/.test(input.host)) {
        throw new InputError(`host: ${JSON.stringify(input.host.slice(0, 100))} is not a host name or IP address`)
      }
      row.host = input.host
      row.port = input.port ?? 5432
      row.database = input.database ?? 'postgres'
      row.user = input.user ?? null
    }
    // The stored password goes only where it was typed for: a changed host, port, user, database or
    // address drops it (the user types it again), or a fake server elsewhere would be handed it.
    if (password === undefined && previous?.kind === 'postgres' && sameTarget(previous, row)) row.password = previous.password
    return { row, password }
  }

  private encryptInto(row: ConnectionRow, password: string | undefined): ConnectionRow {
    if (password === undefined) return row
    if (password === '') return { ...row, password: null }
    const refused = this.options.refusePassword()
    if (refused) throw new InputError(`password: cannot be stored: ${refused}`)
    const enc = this.secrets.encrypt(password)
    return { ...row, password: typeof enc === 'string' ? Buffer.from(enc, 'utf8') : enc }
  }

  /** An unsaved form's address, its password used in memory only (testing must not store anything). */
  private addressOfInput(input: ConnectionInput): string {
    const { row, password } = this.toRow(input, input.id ? this.store.getConnection(input.id) : null)
    const address = this.addressOf(password === undefined ? row : { ...row, password: null })
    if (!password || row.kind !== 'postgres') return address
    const url = new URL(address)
    url.password = encodeURIComponent(password)
    return url.toString()
  }

  private addressOf(row: ConnectionRow): string {
    if (row.kind === 'sqlite') return `sqlite:${row.path ?? ''}`
    const url = row.address ? new URL(row.address) : new URL(`postgres://${bracket(row.host ?? 'localhost')}:${row.port ?? 5432}/`)
    if (!row.address) {
      url.pathname = `/${encodeURIComponent(row.database ?? 'postgres')}`
      if (row.user) url.username = encodeURIComponent(row.user)
    }
    if (row.password) url.password = encodeURIComponent(this.secrets.decrypt(row.password))
    if (row.sslmode) url.searchParams.set('sslmode', row.sslmode)
    if (row.schema) url.searchParams.set('schema', row.schema)
    return url.toString()
  }

  private view(row: ConnectionRow): Connection {
    const c: Connection = { id: row.id, name: row.name, kind: row.kind, builtin: false, hasPassword: row.password !== null, display: '', target: connectionTarget(this.addressOf({ ...row, password: null })) }
    if (row.path !== null) c.path = row.path
    if (row.address !== null) c.address = row.address
    if (row.host !== null) c.host = row.host
    if (row.port !== null) c.port = row.port
    if (row.database !== null) c.database = row.database
    if (row.user !== null) c.user = row.user
    if (row.sslmode !== null) c.sslmode = row.sslmode as NonNullable<Connection['sslmode']>
    if (row.schema !== null) c.schema = row.schema
    if (row.kind === 'sqlite') c.display = `sqlite:${row.path ?? ''}`
    else {
      // Built without the password, then marked: the display shows that one is set, never what it is.
      const url = new URL(this.addressOf({ ...row, password: null }))
      if (row.password !== null) url.password = 'xxx'
      c.display = redact(url.toString())
    }
    return c
  }
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

function sameTarget(a: ConnectionRow, b: ConnectionRow): boolean {
  return a.address === b.address && a.host === b.host && a.port === b.port && a.database === b.database && a.user === b.user
}

function stripPassword(address: string): { address: string; password?: string } {
  let url: URL
  try {
    url = new URL(address)
  } catch {
    throw new InputError(`address ${redact(address)} is not a valid URL`)
  }
  // `?password=` is a password too (libpq reads it): moved to the secret store like the userinfo form.
  const query = url.searchParams.get('password')
  if (!url.password && query === null) return { address }
  const password = url.password ? decodeURIComponent(url.password) : (query as string)
  url.password = ''
  url.searchParams.delete('password')
  return { address: url.toString(), password }
}
