/**
 * Captured output (CONTRACT.md "Debugging"; docs/architecture.md#captured-output): what a handler
 * writes to stdout or stderr while it runs becomes its task's log lines (`stream: 'stdout' |
 * 'stderr'`). The worker host patches `write` of both streams once; each write is attributed to the
 * task whose async context it runs in (the host's AsyncLocalStorage), so with concurrency above 1
 * every line lands on the task that wrote it. Writes outside any running task (module load, setup,
 * timers left behind by a finished task) are not captured.
 *
 * Bounded here, in the worker, per task attempt: at most OUTPUT_MAX_CHARS characters and
 * OUTPUT_MAX_LINES lines are kept, a line is cut at LINE_MAX_CHARS; past the bound the rest is
 * counted and one `log`-stream warning says how much was dropped. So a handler printing in a loop
 * cannot flood the drone's IPC channel or the queue's logs table; its output still reaches the
 * worker's own stdout/stderr (the drone's terminal) unless echo is off (replay prints it itself).
 */
import type { WorkerItem } from './protocol.ts'

export const OUTPUT_MAX_CHARS = 64 * 1024
export const OUTPUT_MAX_LINES = 1_000
export const LINE_MAX_CHARS = 8 * 1024

export type OutputStream = 'stdout' | 'stderr'

interface TaskOutput {
  chars: number
  lines: number
  dropped: number
  partial: Record<OutputStream, string>
}

type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean

export class OutputCapture {
  /** Whether captured writes also reach the process's real stdout/stderr. */
  echo = true
  private readonly tasks = new Map<string, TaskOutput>()
  private installed = false

  constructor(
    /** The id of the task whose code is running now, if any. */
    private readonly current: () => string | undefined,
    /** Whether that task is still running (a timer it left behind may write after it finished). */
    private readonly isRunning: (id: string) => boolean,
    private readonly push: (item: WorkerItem) => void,
  ) {}

  /** Patches process.stdout.write and process.stderr.write (once). */
  install(): void {
    if (this.installed) return
    this.installed = true
    this.patch(process.stdout, 'stdout')
    this.patch(process.stderr, 'stderr')
  }

  /** Emits the task's unfinished lines and the truncation note; called before its outcome is pushed. */
  end(id: string): void {
    const t = this.tasks.get(id)
    if (!t) return
    this.tasks.delete(id)
    for (const stream of ['stdout', 'stderr'] as const) if (t.partial[stream] !== '') this.line(id, t, stream, t.partial[stream])
    if (t.dropped > 0) {
      this.push({
        k: 'log',
        id,
        level: 'warn',
        message: `output truncated: ${t.dropped} more characters were not kept (at most ${OUTPUT_MAX_CHARS} characters and ${OUTPUT_MAX_LINES} lines per attempt)`,
        at: Date.now(),
      })
    }
  }

  private patch(target: NodeJS.WriteStream, stream: OutputStream): void {
    const original = target.write.bind(target) as Write
    const patched: Write = (chunk, encoding, callback) => {
      const id = this.current()
      const t = id === undefined ? undefined : this.stateOf(id)
      if (t) {
        this.take(id!, t, stream, text(chunk, encoding))
        if (!this.echo) {
          const cb = typeof encoding === 'function' ? encoding : callback
          if (typeof cb === 'function') process.nextTick(cb as () => void)
          return true
        }
      }
      return original(chunk, encoding, callback)
    }
    target.write = patched as typeof target.write
  }

  /** A task's state, made on its first write: a task that prints nothing costs nothing here. */
  private stateOf(id: string): TaskOutput | undefined {
    let t = this.tasks.get(id)
    if (!t && this.isRunning(id)) {
      t = { chars: 0, lines: 0, dropped: 0, partial: { stdout: '', stderr: '' } }
      this.tasks.set(id, t)
    }
    return t
  }

  private take(id: string, t: TaskOutput, stream: OutputStream, chunk: string): void {
    const room = Math.max(0, OUTPUT_MAX_CHARS - t.chars)
    const kept = chunk.length > room ? chunk.slice(0, room) : chunk
    t.dropped += chunk.length - kept.length
    t.chars += kept.length
    let rest = t.partial[stream] + kept
    let nl: number
    while ((nl = rest.indexOf('\n')) !== -1) {
      this.line(id, t, stream, rest.slice(0, nl))
      rest = rest.slice(nl + 1)
    }
    while (rest.length > LINE_MAX_CHARS) {
      this.line(id, t, stream, rest.slice(0, LINE_MAX_CHARS))
      rest = rest.slice(LINE_MAX_CHARS)
    }
    t.partial[stream] = rest
  }

  private line(id: string, t: TaskOutput, stream: OutputStream, line: string): void {
    const message = line.endsWith('\r') ? line.slice(0, -1) : line
    if (t.lines >= OUTPUT_MAX_LINES) {
      t.dropped += message.length
      return
    }
    t.lines++
    this.push({ k: 'log', id, level: stream === 'stdout' ? 'info' : 'warn', stream, message, at: Date.now() })
  }
}

function text(chunk: unknown, encoding: unknown): string {
  if (typeof chunk === 'string') {
    return typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8' && Buffer.isEncoding(encoding) ? Buffer.from(chunk, encoding).toString('utf8') : chunk
  }
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8')
  return String(chunk)
}
