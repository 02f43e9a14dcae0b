import pg from 'pg'
import { withTimeout } from '../../core/timeout.ts'
import type { QueueSignal } from '../driver.ts'
import { quoteIdent } from './ident.ts'

export interface ListenerOptions {
  connectionString: string
  channel: string
  /** Distinct from the pool's, so operators (and tests) can tell the LISTEN connection apart. */
  applicationName: string
  /** How often the LISTEN connection is probed with `SELECT 1`. Default 5 s. */
  heartbeatMs?: number
  /** A probe unanswered for this long means a dead (or black-holed) connection. Default 3 s. */
  heartbeatTimeoutMs?: number
  /** Reconnect backoff doubles from 100 ms up to this. Default 2 s. */
  maxBackoffMs?: number
  /** Called when the connection is found dead: the pool's connections likely share its fate. */
  onDown?: (cause: Error) => void
}

export type ListenerState = 'stopped' | 'connecting' | 'listening' | 'down'

/**
 * The LISTEN service: one dedicated connection per driver, shared by its subscribers. Start and stop
 * are idempotent. Death is noticed four ways: the client's 'error' and 'end' events, a LISTEN left
 * unanswered for the heartbeat timeout (the path died after the connect), and a heartbeat query with
 * a timeout (which also catches a connection that silently stopped answering). While down,
 * the state is 'down' (subscribers poll) and the connection is re-made with capped backoff; after a
 * reconnect, one {kind:'tasks'} signal covers whatever was enqueued in the gap.
 *
 *   stopped --start--> connecting --LISTEN ok--> listening --error/end/heartbeat--> down
 *   connecting --error/end/LISTEN unanswered--> down
 *   down --backoff--> connecting;  any --stop--> stopped
 */
export class PgListener {
  private state: ListenerState = 'stopped'
  private client: pg.Client | null = null
  private heartbeatTimer: NodeJS.Timeout | null = null
  private reconnectTimer: NodeJS.Timeout | null = null
  private backoffMs = 0
  private hadGap = false
  private firstAttempt: Promise<void> | null = null
  /** Why the connection last went down (kept for diagnostics; the subscriber sees mode() 'polling'). */
  lastError: Error | null = null
  private readonly listeners = new Set<(s: QueueSignal) => void>()
  private pendingTypes: Set<string> | null = null
  private pendingAll = false
  private flushScheduled = false
  private readonly heartbeatMs: number
  private readonly heartbeatTimeoutMs: number
  private readonly maxBackoffMs: number

  constructor(private readonly options: ListenerOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 5_000
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3_000
    this.maxBackoffMs = options.maxBackoffMs ?? 2_000
  }

  mode(): 'push' | 'polling' {
    return this.state === 'listening' ? 'push' : 'polling'
  }

  get current(): ListenerState {
    return this.state
  }

  /** The LISTEN connection's backend pid while connected (for diagnostics and tests). */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number | null } | null)?.processID ?? null
  }

  subscribe(listener: (s: QueueSignal) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get subscriberCount(): number {
    return this.listeners.size
  }

  /** Resolves after the first connection attempt, whether it succeeded (push) or not (polling, retrying). */
  start(): Promise<void> {
    if (this.state === 'stopped') {
      this.state = 'connecting'
      this.firstAttempt = this.connect()
    }
    return this.firstAttempt ?? Promise.resolve()
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    this.clearTimers()
    const client = this.client
    this.client = null
    this.firstAttempt = null
    this.hadGap = false
    this.backoffMs = 0
    if (client) await endQuietly(client)
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    })
    // Registered before connect: an 'error' without a listener would crash the process.
    client.on('error', (err) => this.down(client, err))
    client.on('end', () => this.down(client, new Error('LISTEN connection ended')))
    client.on('notification', (msg) => {
      if (msg.channel === this.options.channel && msg.payload !== undefined) this.onPayload(msg.payload)
    })
    this.client = client
    try {
      await client.connect()
      // Bounded like a heartbeat: a path that goes dead between the connect and this answer would
      // otherwise leave the listener 'connecting' for good (no heartbeat runs before 'listening'), the
      // drone polling forever (the fault suite's black-hole scenario caught it once on CI).
      await this.answered(client.query(`LISTEN ${quoteIdent(this.options.channel)}`), 'LISTEN')
    } catch (err) {
      if (this.client === client) this.down(client, err instanceof Error ? err : new Error(String(err)))
      else void endQuietly(client)
      return
    }
    if (this.client !== client || this.state !== 'connecting') {
      // stopped (or replaced) while connecting
      void endQuietly(client)
      return
    }
    this.state = 'listening'
    this.backoffMs = 0
    this.scheduleHeartbeat(client)
    if (this.hadGap) {
      this.hadGap = false
      this.emit({ kind: 'tasks' })
    }
  }

  /** Marks the connection dead (once per client) and schedules the next attempt. */
  private down(client: pg.Client, cause: Error): void {
    if (this.client !== client || this.state === 'stopped') return
    this.lastError = cause
    this.client = null
    this.state = 'down'
    this.options.onDown?.(cause)
    this.hadGap = true
    this.clearTimers()
    void endQuietly(client)
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs === 0 ? 100 : this.backoffMs * 2)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (this.state !== 'down') return
      this.state = 'connecting'
      void this.connect()
    }, this.backoffMs)
    this.reconnectTimer.unref()
  }

  private scheduleHeartbeat(client: pg.Client): void {
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null
      void this.heartbeat(client)
    }, this.heartbeatMs)
    this.heartbeatTimer.unref()
  }

  private async heartbeat(client: pg.Client): Promise<void> {
    if (this.client !== client || this.state !== 'listening') return
    try {
      await this.answered(client.query('SELECT 1'), 'a heartbeat')
    } catch (err) {
      this.down(client, err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (this.client === client && this.state === 'listening') this.scheduleHeartbeat(client)
  }

  /** The query's answer, or an error naming what went unanswered within the heartbeat timeout. */
  private answered<T>(query: Promise<T>, what: string): Promise<T> {
    return withTimeout(query, this.heartbeatTimeoutMs, `LISTEN connection did not answer ${what} within ${this.heartbeatTimeoutMs} ms`)
  }

  /** Payloads are `{"t":[types]|null}` or `{"c":[ids]}` (sql.ts); anything else is ignored. */
  private onPayload(payload: string): void {
    let msg: unknown
    try {
      msg = JSON.parse(payload)
    } catch {
      return
    }
    if (typeof msg !== 'object' || msg === null) return
    const m = msg as { t?: unknown; c?: unknown }
    if ('c' in m && Array.isArray(m.c)) {
      const ids = m.c.filter((x): x is string => typeof x === 'string')
      if (ids.length > 0) this.emit({ kind: 'cancel', ids })
      return
    }
    if ('t' in m) {
      if (Array.isArray(m.t)) this.queueTypes(m.t.filter((x): x is string => typeof x === 'string'))
      else this.queueTypes(null)
    }
  }

  /**
   * Task wake-ups arriving in one burst (one NOTIFY per enqueue statement) are merged into one signal
   * per turn of the event loop: a drone pumps once, not once per notification.
   */
  private queueTypes(types: string[] | null): void {
    if (types === null) this.pendingAll = true
    else {
      this.pendingTypes ??= new Set()
      for (const t of types) this.pendingTypes.add(t)
    }
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      const all = this.pendingAll
      const types = this.pendingTypes
      this.pendingAll = false
      this.pendingTypes = null
      if (all || !types) this.emit({ kind: 'tasks' })
      else this.emit({ kind: 'tasks', types: [...types] })
    })
  }

  private emit(signal: QueueSignal): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(signal)
      } catch {
        // A subscriber's bug must not stop the others or the listener; subscribers log their own errors.
      }
    }
  }

  private clearTimers(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer)
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.heartbeatTimer = null
    this.reconnectTimer = null
  }
}

/** Ends a client without waiting on a dead socket: pg destroys the stream when a query is stuck. */
async function endQuietly(client: pg.Client): Promise<void> {
  const timer = setTimeout(() => client.connection.stream.destroy(), 1_000)
  timer.unref()
  try {
    await client.end()
  } catch {
    // already broken; the socket is destroyed either way
  } finally {
    clearTimeout(timer)
  }
}
