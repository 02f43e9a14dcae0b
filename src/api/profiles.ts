/**
 * The console's CPU profiles and heap snapshots of worker processes (issue #12 item 5): started on a
 * drone this console runs (src/workers/profiling.ts does the work in the worker processes), kept in
 * the console's data folder, listed, read back in chunks (the download and the flame graph), and
 * linked from the tasks they cover.
 *
 * Where and how much: `<dataDir>/profiles/`, one `<id>.json` (the ProfileView) beside its
 * `<id>.cpuprofile` or `<id>.heapsnapshot`, folder 0700 and files 0600 (a heap snapshot holds the
 * worker's payloads and results). The newest KEEP.cpu CPU profiles and KEEP.heap heap snapshots are
 * kept; older ones are deleted as new ones finish. One process's profile is at most
 * PROFILE_DEFAULTS.maxBytes (64 MiB), a snapshot at most PROFILE_DEFAULTS.heapMaxBytes (512 MiB):
 * so at most 50 × 64 MiB + 5 × 512 MiB, and in practice far less (20 tasks of a small module make
 * ~100 KB; a small worker's heap snapshot ~5–10 MB).
 */
import { randomUUID } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { NotFoundError, errorMessage } from '../core/errors.ts'
import type { CpuProfilePart } from '../workers/profiling.ts'
import type { Drones } from './drones.ts'
import type { ProfileChunk, ProfileView } from './profile-types.ts'

export type { ProfileChunk, ProfileView } from './profile-types.ts'

export const KEEP = { cpu: 50, heap: 5 } as const
/** Bytes per `profiles.read` answer (base64 makes it a third more on the wire). */
export const READ_CHUNK_BYTES = 1024 * 1024

interface LiveRun {
  stop(): void
}

export class Profiles {
  private readonly dir: string
  private readonly views = new Map<string, ProfileView>()
  private readonly runs = new Map<string, LiveRun>()

  constructor(
    dataDir: string,
    private readonly drones: Drones,
    private readonly changed: (view: ProfileView) => void,
  ) {
    this.dir = join(dataDir, 'profiles')
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    this.load()
  }

  /** "Profile the next N tasks" of a type on a drone (or of one of its processes). */
  start(p: { droneId: string; type: string; workerId?: string | undefined; tasks: number; intervalUs?: number | undefined }): ProfileView[] {
    const entry = this.drones.get(p.droneId)
    const byPid = new Map<number, ProfileView>()
    const run = entry.drone.profile(p.type, {
      tasks: p.tasks,
      workerId: p.workerId,
      ...(p.intervalUs === undefined ? {} : { intervalUs: p.intervalUs }),
      onProgress: (covered) => {
        for (const v of byPid.values()) if (v.state === 'running') this.update(v, { covered })
      },
    })
    const startedAt = new Date().toISOString()
    for (const t of run.targets) {
      const view = runningView({ id: randomUUID(), kind: 'cpu', runId: run.id, droneId: entry.id, droneName: entry.name, type: t.type, workerId: t.workerId, pid: t.pid, requested: p.tasks, startedAt })
      byPid.set(t.pid, view)
      this.views.set(view.id, view)
      this.changed(view)
    }
    this.runs.set(run.id, run)
    void run.done.then((parts) => {
      this.runs.delete(run.id)
      for (const part of parts) {
        const view = byPid.get(part.pid)
        if (view) this.finishCpu(view, part)
      }
      this.prune('cpu')
    })
    return [...byPid.values()].map((v) => ({ ...v }))
  }

  /** Ends a running profile now: each process's part comes back with the tasks it covered so far. */
  stop(runId: string): boolean {
    const run = this.runs.get(runId)
    run?.stop()
    return run !== undefined
  }

  /** A heap snapshot of a process; answered at once (state running), ready or failed on the `profiles` push. */
  heapSnapshot(p: { droneId: string; type: string; workerId?: string | undefined }): ProfileView {
    const entry = this.drones.get(p.droneId)
    const id = randomUUID()
    const partial = join(this.dir, `${id}.heapsnapshot.part`)
    const fd = openSync(partial, 'w', 0o600)
    let written = 0
    let shot
    try {
      shot = entry.drone.heapSnapshot(p.type, {
        workerId: p.workerId,
        write: (chunk) => {
          written += writeSync(fd, chunk)
        },
      })
    } catch (err) {
      closeSync(fd)
      rmSync(partial, { force: true })
      throw err
    }
    const startedAt = new Date().toISOString()
    const view = runningView({ id, kind: 'heap', runId: id, droneId: entry.id, droneName: entry.name, type: p.type, workerId: shot.workerId, pid: shot.pid, requested: null, startedAt })
    this.views.set(id, view)
    this.changed(view)
    void shot.done.then(
      () => {
        closeSync(fd)
        renameSync(partial, this.file(view))
        this.update(view, { state: 'ready', bytes: written, endedAt: new Date().toISOString() })
        this.save(view)
        this.prune('heap')
      },
      (err: unknown) => {
        closeSync(fd)
        rmSync(partial, { force: true })
        this.update(view, { state: 'failed', endedAt: new Date().toISOString(), error: errorMessage(err) })
        this.save(view)
        this.prune('heap')
      },
    )
    return { ...view }
  }

  /** Newest first. */
  list(): ProfileView[] {
    return [...this.views.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.workerId.localeCompare(b.workerId)).map((v) => ({ ...v }))
  }

  get(id: string): ProfileView {
    const v = this.views.get(id)
    if (!v) throw new NotFoundError(`no profile ${id}`)
    return { ...v }
  }

  /** The CPU profiles that covered a task (a task's detail links to them). */
  forTask(taskId: string): ProfileView[] {
    return this.list().filter((v) => v.kind === 'cpu' && v.taskIds.includes(taskId))
  }

  /** A chunk of a ready profile's file, from `offset` (the download and the flame graph read it this way, over IPC or the WebSocket alike). */
  read(id: string, offset: number): ProfileChunk {
    const view = this.get(id)
    if (view.state !== 'ready') throw new NotFoundError(`profile ${id} has no file: it is ${view.state}${view.error ? ` (${view.error})` : ''}`)
    const file = this.file(view)
    const size = statSync(file).size
    const start = Math.min(offset, size)
    const buffer = Buffer.alloc(Math.min(READ_CHUNK_BYTES, size - start))
    const fd = openSync(file, 'r')
    try {
      let got = 0
      while (got < buffer.length) {
        const n = readSync(fd, buffer, got, buffer.length - got, start + got)
        if (n === 0) break
        got += n
      }
    } finally {
      closeSync(fd)
    }
    const end = start + buffer.length
    return { data: buffer.toString('base64'), offset: start, size, next: end < size ? end : null }
  }

  remove(id: string): boolean {
    const view = this.views.get(id)
    if (!view || view.state === 'running') return false
    this.delete(view)
    return true
  }

  /** Ends every running profile (the service stops; the worker processes are about to go). */
  stopAll(): void {
    for (const run of this.runs.values()) run.stop()
  }

  private finishCpu(view: ProfileView, part: CpuProfilePart): void {
    const endedAt = new Date(part.endedAt).toISOString()
    if (part.error !== undefined || part.profileJson === undefined) {
      this.update(view, { state: 'failed', endedAt, covered: part.taskIds.length, taskIds: part.taskIds, error: part.error ?? 'no profile came back' })
    } else {
      try {
        writeFileSync(this.file(view), part.profileJson, { mode: 0o600 })
        this.update(view, {
          state: 'ready',
          endedAt,
          covered: part.taskIds.length,
          taskIds: part.taskIds,
          samples: part.samples,
          bytes: Buffer.byteLength(part.profileJson),
        })
      } catch (err) {
        this.update(view, { state: 'failed', endedAt, error: `could not store the profile: ${errorMessage(err)}` })
      }
    }
    this.save(view)
  }

  private update(view: ProfileView, patch: Partial<ProfileView>): void {
    Object.assign(view, patch)
    this.changed({ ...view })
  }

  private file(view: Pick<ProfileView, 'id' | 'kind'>): string {
    return join(this.dir, `${view.id}.${view.kind === 'cpu' ? 'cpuprofile' : 'heapsnapshot'}`)
  }

  private save(view: ProfileView): void {
    try {
      writeFileSync(join(this.dir, `${view.id}.json`), JSON.stringify(view), { mode: 0o600 })
    } catch (err) {
      process.stderr.write(`swarmage console: could not record profile ${view.id}: ${errorMessage(err)}\n`)
    }
  }

  /** Keeps the newest KEEP[kind] finished ones of a kind. */
  private prune(kind: 'cpu' | 'heap'): void {
    const done = this.list().filter((v) => v.kind === kind && v.state !== 'running')
    for (const v of done.slice(KEEP[kind])) this.delete(v)
  }

  private delete(view: ProfileView): void {
    this.views.delete(view.id)
    rmSync(this.file(view), { force: true })
    rmSync(join(this.dir, `${view.id}.json`), { force: true })
  }

  /** The profiles of earlier runs; one left `running` by a console that stopped is failed, its partial file removed. */
  private load(): void {
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name)
      if (name.endsWith('.part')) {
        rmSync(path, { force: true })
        continue
      }
      if (!name.endsWith('.json')) continue
      try {
        const view = JSON.parse(readFileSync(path, 'utf8')) as ProfileView
        if (view.state === 'ready' && !existsSync(this.file(view))) continue
        if (view.state === 'running') Object.assign(view, { state: 'failed', error: 'the console stopped while it ran' })
        this.views.set(view.id, view)
      } catch {
        // A record cut by a crash: its file, if any, goes with the next prune of orphans below.
      }
    }
    const known = new Set(this.views.keys())
    for (const name of readdirSync(this.dir)) {
      const id = name.replace(/\.(json|cpuprofile|heapsnapshot)$/, '')
      if (!known.has(id)) rmSync(join(this.dir, name), { force: true })
    }
  }
}

/** A profile or snapshot just begun: nothing covered, sampled or written yet; its file named by kind. */
function runningView(v: Pick<ProfileView, 'id' | 'kind' | 'runId' | 'droneId' | 'droneName' | 'type' | 'workerId' | 'pid' | 'requested' | 'startedAt'>): ProfileView {
  const ext = v.kind === 'cpu' ? 'cpuprofile' : 'heapsnapshot'
  return { ...v, state: 'running', covered: 0, taskIds: [], samples: 0, bytes: 0, endedAt: null, fileName: fileName(v.type, v.workerId, v.startedAt, ext) }
}

function fileName(type: string, workerId: string, at: string, ext: string): string {
  const safe = `${type}-${workerId}`.replace(/[^A-Za-z0-9_.-]+/g, '_')
  return `${safe}-${at.replace(/[:.]/g, '-')}.${ext}`
}
