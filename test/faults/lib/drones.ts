/**
 * Parent side of fixtures/drone-proc.ts: spawns a drone as a real process, reads its JSON lines, and
 * kills it with SIGKILL. Also the PostgreSQL helpers scenarios share (a fresh schema, backends by
 * application_name, a queue opened on the schema).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll } from 'vitest'
import { openQueue } from '../../../src/queue/open.ts'
import type { Queue } from '../../../src/queue/queue.ts'
import { dropSchema, pgAddress, tempDir, TEST_PG, uniqueSchema } from '../../helpers.ts'
import type { DroneProcConfig } from '../fixtures/drone-proc.ts'
import { FIXTURES, ROOT } from './mode.ts'

export type ProcLine = Record<string, unknown> & { ev: string }

export class DroneProc {
  readonly child: ChildProcess
  readonly lines: ProcLine[] = []
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: string | null }>
  private waiters: Array<{ match: (l: ProcLine) => boolean; resolve: (l: ProcLine) => void }> = []
  private buf = ''

  /** `launcher`: a command the drone runs under, e.g. ['ip', 'netns', 'exec', NS] (it execs, so pid is the drone's). */
  constructor(readonly config: DroneProcConfig, env: Record<string, string> = {}, execArgv: string[] = [], launcher: string[] = []) {
    const [command, ...prefix] = [...launcher, process.execPath]
    this.child = spawn(command!, [...prefix, '--import', 'tsx', ...execArgv, join(FIXTURES, 'drone-proc.ts'), JSON.stringify(config)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child.stdout!.on('data', (d: Buffer) => this.onData(d.toString()))
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString()
      if (this.stderr.length > 100_000) this.stderr = this.stderr.slice(-50_000)
    })
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })))
  }

  get pid(): number {
    return this.child.pid!
  }

  get name(): string {
    return this.config.name
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  waitFor(match: (l: ProcLine) => boolean, timeoutMs = 30_000, what = 'a line'): Promise<ProcLine> {
    const seen = this.lines.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`drone ${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs)
      this.waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) })
    })
  }

  running(timeoutMs = 60_000): Promise<ProcLine> {
    return Promise.race([
      this.waitFor((l) => l.ev === 'running', timeoutMs, 'running'),
      this.exited.then((e) => {
        const said = this.lines.find((l) => l.ev === 'error')?.message
        throw new Error(`drone ${this.name} exited (${e.code ?? e.signal}) before running: ${typeof said === 'string' ? said : this.stderr.slice(-3000)}`)
      }),
    ])
  }

  lastSnapshot(): ProcLine | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]!.ev === 'snapshot') return this.lines[i]
    return undefined
  }

  /** Worker process pids: the drone's direct children (read from /proc, so it works after a SIGKILL of the drone too). */
  childPids(): number[] {
    return childPidsOf(this.pid)
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) process.kill(this.pid, signal)
  }

  private onData(text: string): void {
    this.buf += text
    let i: number
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const raw = this.buf.slice(0, i)
      this.buf = this.buf.slice(i + 1)
      let l: ProcLine
      try {
        l = JSON.parse(raw) as ProcLine
      } catch {
        continue // a worker's own console output
      }
      if (typeof l.ev !== 'string') continue
      this.lines.push(l)
      if (this.lines.length > 200_000) this.lines.splice(0, 100_000)
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(l)) return true
        w.resolve(l)
        return false
      })
    }
  }
}

export function childPidsOf(pid: number): number[] {
  const dir = `/proc/${pid}/task`
  if (!existsSync(dir)) return []
  const pids: number[] = []
  for (const tid of readdirSync(dir)) {
    try {
      pids.push(...readFileSync(join(dir, tid, 'children'), 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
    } catch {
      // thread gone
    }
  }
  return pids
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie still answers kill(0): count it as dead-but-unreaped, which /proc shows as state Z.
  return procState(pid) !== 'Z'
}

export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return null
  }
}

export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return -1
  }
}

export interface PgQueue {
  schema: string
  address: string
  queue: Queue
  admin: pg.Client
  cleanup: () => Promise<void>
}

/** A fresh, migrated queue schema, plus an admin connection for fault injection and checks. */
export async function freshQueue(prefix: string): Promise<PgQueue> {
  const schema = uniqueSchema(`faults_${prefix}`)
  const address = pgAddress(schema)
  const queue = await openQueue(address, { migrate: true })
  const admin = new pg.Client({ connectionString: TEST_PG, application_name: 'faults-admin' })
  admin.on('error', () => undefined)
  await admin.connect()
  return {
    schema,
    address,
    queue,
    admin,
    cleanup: async () => {
      await queue.close().catch(() => undefined)
      await admin.end().catch(() => undefined)
      await dropSchema(schema)
    },
  }
}

/** Counts by state of a schema's tasks, straight from SQL. */
export async function stateCounts(admin: pg.Client, schema: string, type?: string): Promise<Record<string, number>> {
  const r = await admin.query<{ state: string; n: string }>(
    `SELECT state, count(*) AS n FROM "${schema}".tasks ${type ? 'WHERE type = $1' : ''} GROUP BY state`,
    type ? [type] : [],
  )
  const out: Record<string, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
  for (const row of r.rows) out[row.state] = Number(row.n)
  return out
}

export const BASE_PG = TEST_PG

/** Base drone-proc config for a schema: the ledger worker serving `type`. */
export function droneConfig(q: { schema: string }, name: string, baseDir: string, over: Partial<DroneProcConfig> = {}): DroneProcConfig {
  return {
    connectionString: TEST_PG,
    schema: q.schema,
    name,
    baseDir,
    localQueuePath: join(baseDir, `${name}.local.db`),
    workers: {},
    ...over,
  }
}

/**
 * A scenario's temp folder and drone processes, torn down after its tests: the drones (stopAll),
 * then `teardown` (the scenario's own parts: a proxy, its queue, roles), then the folder.
 */
export function scenario(name: string, teardown: () => Promise<void>): { tmp: { dir: string; cleanup: () => void }; drones: DroneProc[] } {
  const tmp = tempDir(`faults-${name}-`)
  const drones: DroneProc[] = []
  afterAll(async () => {
    await stopAll(drones)
    await teardown()
    tmp.cleanup()
  })
  return { tmp, drones }
}

/**
 * Cleanup: SIGKILLs the drones, then any worker process of theirs still alive (a worker spinning in a
 * synchronous loop cannot notice its drone is gone, so it would spin on after the test).
 */
export async function stopAll(drones: DroneProc[]): Promise<void> {
  const workers = drones.flatMap((d) => (d.alive ? d.childPids() : []))
  for (const d of drones) d.kill('SIGKILL')
  await Promise.all(drones.map((d) => d.exited))
  for (const pid of workers) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** The application_name prefix of a scenario's drones (fixtures/drone-proc.ts): the schema's random suffix. */
export function appTag(schema: string): string {
  return `f-${schema.slice(-6)}`
}

/** Backends of one scenario's drones (their application_name starts with appTag). */
export async function droneBackends(admin: pg.Client, schema: string, listenOnly = false): Promise<number[]> {
  const r = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1 AND pid <> pg_backend_pid()`,
    [listenOnly ? `${appTag(schema)}-listen:%` : `${appTag(schema)}%`],
  )
  return r.rows.map((row) => row.pid)
}

/** pg_terminate_backend on every backend of the scenario's drones; returns how many. */
export async function terminateDroneBackends(admin: pg.Client, schema: string, listenOnly = false): Promise<number> {
  const pids = await droneBackends(admin, schema, listenOnly)
  for (const pid of pids) await admin.query('SELECT pg_terminate_backend($1)', [pid])
  return pids.length
}

/** (task, attempt) pairs with more than one recorded outcome (hand-backs aside, which use no attempt): the fence says 0. */
export async function doubleOutcomes(admin: pg.Client, schema: string): Promise<number> {
  const r = await admin.query<{ n: string }>(
    // A success is kept on the task row, not as an attempt row (PostgreSQL migration 7), so it joins here.
    `SELECT count(*) AS n FROM (SELECT task_id, attempt FROM (
         SELECT task_id, attempt FROM "${schema}".task_attempts WHERE outcome <> 'handed-back'
         UNION ALL SELECT id, attempts FROM "${schema}".tasks WHERE state = 'succeeded'
       ) o GROUP BY task_id, attempt HAVING count(*) > 1) d`,
  )
  return Number(r.rows[0]!.n)
}
