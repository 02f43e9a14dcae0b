import { errorMessage } from '../../core/errors.ts'
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../../core/sqlite-lib.ts'
import type { QueueSignal, Subscription } from '../driver.ts'

/**
 * Wake-ups across processes sharing one SQLite file. Writers append a row to `signals` inside the
 * transaction that made tasks runnable (or cancelled them); each subscribing driver polls
 * `PRAGMA data_version` on a dedicated connection, which moves when any OTHER connection commits,
 * and only then reads the rows after the last id it saw. A poll is one pragma (a few µs), so polling
 * every 10 ms costs nothing measurable and wakes a drone within ~10 ms of a commit elsewhere. Rows
 * written by this same driver instance are skipped there: they were delivered directly on commit.
 */
export const POLL_INTERVAL_MS = 10
/** Signal rows older than this are pruned: a subscriber further behind falls back on its own polling. */
export const SIGNAL_TTL_MS = 60_000

interface SignalRow {
  id: number
  origin: string
  kind: string
  body: string
}

type Listener = (signal: QueueSignal) => void

export class SignalHub {
  private readonly listeners = new Set<Listener>()
  private conn: SqliteDatabase | null = null
  private dataVersion: SqliteStatement<[], number> | null = null
  private readAfter: SqliteStatement<[number], SignalRow> | null = null
  private timer: NodeJS.Timeout | null = null
  private lastVersion = -1
  private lastId = 0
  private degraded = false
  private closed = false

  constructor(
    private readonly path: string,
    /** This driver instance's id, written with every signal it sends. */
    readonly origin: string,
  ) {}

  /** Delivers a signal written by this instance to its own subscribers, after the commit. */
  emitLocal(signal: QueueSignal): void {
    if (this.listeners.size === 0) return
    queueMicrotask(() => this.deliver(signal))
  }

  subscribe(listener: Listener): Subscription {
    if (this.closed) throw new Error('the queue driver is closed')
    this.listeners.add(listener)
    if (this.timer === null) this.start()
    let open = true
    return {
      mode: () => (this.degraded ? 'polling' : 'push'),
      close: async () => {
        if (!open) return
        open = false
        this.listeners.delete(listener)
        if (this.listeners.size === 0) this.stop()
      },
    }
  }

  close(): void {
    this.closed = true
    this.listeners.clear()
    this.stop()
  }

  private start(): void {
    try {
      this.connect()
    } catch (err) {
      this.degrade(err)
    }
    this.timer = setInterval(() => this.tick(), POLL_INTERVAL_MS)
    this.timer.unref()
  }

  private connect(): void {
    const conn = openSqlite(this.path)
    // Reads never wait on writers in WAL mode; a short timeout keeps a poll from stalling the event loop.
    conn.pragma('busy_timeout = 100')
    this.dataVersion = conn.prepare('PRAGMA data_version').pluck() as SqliteStatement<[], number>
    this.readAfter = conn.prepare('SELECT id, origin, kind, body FROM signals WHERE id > ? ORDER BY id') as SqliteStatement<
      [number],
      SignalRow
    >
    this.lastVersion = this.dataVersion.get() ?? -1
    this.lastId = (conn.prepare('SELECT COALESCE(MAX(id), 0) FROM signals').pluck().get() as number) ?? 0
    this.conn = conn
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.conn?.close()
    this.conn = null
    this.dataVersion = null
    this.readAfter = null
  }

  private tick(): void {
    try {
      if (this.conn === null) this.connect()
      const version = this.dataVersion!.get() ?? -1
      if (version === this.lastVersion) return
      this.lastVersion = version
      const rows = this.readAfter!.all(this.lastId)
      if (this.degraded) {
        this.degraded = false
        // Anything may have happened while degraded: wake subscribers once.
        this.deliver({ kind: 'tasks' })
      }
      this.dispatch(rows)
    } catch (err) {
      this.degrade(err)
    }
  }

  private dispatch(rows: SignalRow[]): void {
    let wake = false
    let allTypes = true
    const types = new Set<string>()
    const cancelled: string[] = []
    for (const row of rows) {
      this.lastId = row.id
      if (row.origin === this.origin) continue
      const body = JSON.parse(row.body) as { types?: string[]; ids?: string[] }
      if (row.kind === 'cancel') cancelled.push(...(body.ids ?? []))
      else {
        wake = true
        if (body.types) for (const t of body.types) types.add(t)
        else allTypes = false
      }
    }
    if (cancelled.length > 0) this.deliver({ kind: 'cancel', ids: cancelled })
    if (wake) this.deliver(allTypes ? { kind: 'tasks', types: [...types] } : { kind: 'tasks' })
  }

  private degrade(err: unknown): void {
    if (!this.degraded) process.emitWarning(`swarmage: SQLite signal polling failed, subscribers should poll: ${errorMessage(err)}`)
    this.degraded = true
    this.conn?.close()
    this.conn = null
  }

  private deliver(signal: QueueSignal): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(signal)
      } catch (err) {
        process.emitWarning(`swarmage: a queue signal listener threw: ${errorMessage(err)}`)
      }
    }
  }
}
