/**
 * CPU profiles and heap snapshots of the worker process itself, through `node:inspector`'s in-process
 * Session (works in a forked Node process and in an Electron utility process alike, with or without
 * `--inspect`: a Session is a client of this thread's own inspector, not of its socket).
 *
 * A profile covers whole tasks: it starts at `profile-start`, notes every task that starts after that,
 * and ends when `tasks` of them have finished (or at `profile-stop`). Tasks that were already running
 * when it started, or still running when it ends, are in the samples but not in `taskIds`. With
 * `concurrency` above 1 the samples are the whole process's: tasks that overlap share them.
 *
 * Results leave in `chunk` messages of at most CHUNK_CHARS characters (one IPC message of hundreds of
 * megabytes would be copied whole on both sides), then one `profile-end` / `heap-end`.
 */
import inspector from 'node:inspector'
import type { FromWorker, ToWorker } from './protocol.ts'

export const CHUNK_CHARS = 1024 * 1024

interface ActiveProfile {
  id: string
  tasks: number
  maxBytes: number
  startedAt: number
  /** tasks that started under the profiler and have not finished */
  running: Set<string>
  /** tasks that started and finished under it, in finishing order */
  done: string[]
}

export class HostProfiler {
  private session: inspector.Session | undefined
  private active: ActiveProfile | undefined
  private stopping = false
  private heapBusy = false

  constructor(private readonly send: (m: FromWorker) => void) {}

  handle(m: Extract<ToWorker, { t: 'profile-start' | 'profile-stop' | 'heap-snapshot' }>): void {
    switch (m.t) {
      case 'profile-start':
        this.start(m)
        return
      case 'profile-stop':
        if (this.active?.id === m.profileId) this.stop()
        return
      case 'heap-snapshot':
        this.heapSnapshot(m.reqId, m.maxBytes)
        return
    }
  }

  /** A task started (host-runtime calls this just before its handler). */
  taskStarted(id: string): void {
    this.active?.running.add(id)
  }

  covers(id: string): boolean {
    return this.active?.running.has(id) === true
  }

  /** A task finished; ends the profile once it has covered its tasks. */
  taskFinished(id: string): void {
    const a = this.active
    if (!a || !a.running.delete(id)) return
    a.done.push(id)
    this.send({ t: 'profile-progress', profileId: a.id, done: a.done.length })
    if (a.done.length >= a.tasks) this.stop()
  }

  private connect(): inspector.Session {
    if (!this.session) {
      this.session = new inspector.Session()
      this.session.connect()
    }
    return this.session
  }

  private start(m: Extract<ToWorker, { t: 'profile-start' }>): void {
    const fail = (error: string): void =>
      this.send({ t: 'profile-end', profileId: m.profileId, taskIds: [], startedAt: Date.now(), endedAt: Date.now(), samples: 0, bytes: 0, error })
    if (this.active || this.stopping) return fail('this worker process is already running a profile')
    let session: inspector.Session
    try {
      session = this.connect()
    } catch (err) {
      return fail(`the inspector is not available in this worker process: ${message(err)}`)
    }
    this.active = { id: m.profileId, tasks: Math.max(1, m.tasks), maxBytes: m.maxBytes, startedAt: Date.now(), running: new Set(), done: [] }
    const steps: Array<[string, object | undefined]> = [
      ['Profiler.enable', undefined],
      ['Profiler.setSamplingInterval', { interval: m.intervalUs }],
      ['Profiler.start', undefined],
    ]
    const next = (i: number): void => {
      const step = steps[i]
      if (!step) return
      session.post(step[0], step[1], (err) => {
        if (!err) return next(i + 1)
        const a = this.active
        this.active = undefined
        if (a?.id === m.profileId) fail(`${step[0]} failed: ${err.message}`)
      })
    }
    next(0)
  }

  private stop(): void {
    const a = this.active
    if (!a || !this.session) return
    this.active = undefined
    this.stopping = true
    this.session.post('Profiler.stop', (err, result) => {
      this.stopping = false
      const end = { t: 'profile-end' as const, profileId: a.id, taskIds: a.done, startedAt: a.startedAt, endedAt: Date.now() }
      if (err) return this.send({ ...end, samples: 0, bytes: 0, error: `Profiler.stop failed: ${err.message}` })
      const json = JSON.stringify(result.profile)
      const samples = result.profile.samples?.length ?? 0
      // Characters, not bytes: the profile is ASCII but for function and file names, close enough for a bound.
      if (json.length > a.maxBytes) {
        return this.send({ ...end, samples, bytes: json.length, error: `the profile is ${json.length} bytes, above the bound of ${a.maxBytes}: profile fewer tasks` })
      }
      for (let i = 0; i < json.length; i += CHUNK_CHARS) this.send({ t: 'chunk', reqId: a.id, data: json.slice(i, i + CHUNK_CHARS) })
      this.send({ ...end, samples, bytes: json.length })
      this.session?.post('Profiler.disable')
    })
  }

  /**
   * HeapProfiler.takeHeapSnapshot: V8 hands the snapshot over in chunks (addHeapSnapshotChunk events,
   * during the call); each is forwarded at once, so this process never holds the whole text. Past
   * `maxBytes` the rest is dropped and the end says so (a cut snapshot does not parse: it is void).
   */
  private heapSnapshot(reqId: string, maxBytes: number): void {
    let session: inspector.Session
    try {
      session = this.connect()
    } catch (err) {
      this.send({ t: 'heap-end', reqId, bytes: 0, error: `the inspector is not available in this worker process: ${message(err)}` })
      return
    }
    // Two at once would share the chunk events (a snapshot is one call, but a slow client may ask twice).
    if (this.heapBusy) {
      this.send({ t: 'heap-end', reqId, bytes: 0, error: 'a heap snapshot of this process is already being taken' })
      return
    }
    this.heapBusy = true
    let bytes = 0
    let over = false
    const onChunk = (m: { params: { chunk: string } }): void => {
      bytes += m.params.chunk.length
      if (bytes > maxBytes) over = true
      if (!over) this.send({ t: 'chunk', reqId, data: m.params.chunk })
    }
    session.on('HeapProfiler.addHeapSnapshotChunk', onChunk)
    session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, (err) => {
      session.off('HeapProfiler.addHeapSnapshotChunk', onChunk)
      this.heapBusy = false
      if (err) this.send({ t: 'heap-end', reqId, bytes, error: `HeapProfiler.takeHeapSnapshot failed: ${err.message}` })
      else if (over) this.send({ t: 'heap-end', reqId, bytes, error: `the heap snapshot is above the bound of ${maxBytes} bytes` })
      else this.send({ t: 'heap-end', reqId, bytes })
    })
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
