import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { Option, type Command } from 'commander'
import { InputError, errorMessage } from '../../core/errors.ts'
import type { EnqueueOptions, NewTask } from '../../core/task.ts'
import { lineToTask } from '../../core/task-lines.ts'
import { DEFAULT_MAX_PAYLOAD_BYTES, parseJsonArg, validateNewTask, type Limits } from '../../core/validate.ts'
import { commandContext, common, intOpt, withQueue, type CommandContext, type CommonOptions } from '../context.ts'

interface EnqueueCliOptions extends CommonOptions {
  priority?: number
  delay?: number
  runAt?: string
  maxAttempts?: number
  key?: string
  group?: string
  file?: string
}

/** Tasks per enqueueMany call for --file: each call is one transaction per 1000 rows in the driver. */
const FILE_BATCH = 5000

export function registerEnqueue(program: Command): void {
  common(
    program
      .command('enqueue')
      .description('enqueue one task and print its id, or one task per line of an NDJSON file (--file)')
      .argument('[type]', 'task type: 1–100 characters of A-Z a-z 0-9 _ . : / -')
      .argument('[payload]', 'the payload as JSON (default null); - reads it from stdin'),
  )
    .addOption(intOpt('--priority <n>', 'higher runs first (default 0)', -2147483648, 2147483647))
    .addOption(intOpt('--delay <ms>', 'run no earlier than this many milliseconds from now', 0).conflicts('runAt'))
    .addOption(new Option('--run-at <iso>', 'run no earlier than this ISO-8601 time'))
    .addOption(intOpt('--max-attempts <n>', 'attempts before the task fails (default 5)', 1, 1000))
    .option('--key <key>', 'idempotency key: while a task with this key is unfinished, no second one is created')
    .option('--group <group>', 'flow-control group (1–200 characters): the key groupMaxRunning and groupRate count by, e.g. a customer')
    .addOption(
      new Option('--file <file.ndjson>', 'one task per line: {"type","payload","options"?} or with priority, delayMs, runAt, maxAttempts, key, group').conflicts([
        'priority',
        'delay',
        'runAt',
        'maxAttempts',
        'key',
        'group',
      ]),
    )
    .action(async (type: string | undefined, payload: string | undefined, opts: EnqueueCliOptions) => {
      const ctx = await commandContext(opts)
      if (opts.file !== undefined) {
        if (type !== undefined) throw new InputError('give either a task TYPE or --file, not both')
        const text = readInput(opts.file)
        // Validated before the queue is even opened: a bad line costs no connection and stores nothing.
        const tasks = parseTaskLines(text, opts.file, limitsOf(ctx))
        await withQueue(ctx, async (queue) => {
          const ids: string[] = []
          for (let i = 0; i < tasks.length; i += FILE_BATCH) ids.push(...(await queue.enqueueMany(tasks.slice(i, i + FILE_BATCH))))
          if (ctx.out.json) ctx.out.doc({ ids })
          else ctx.out.text(`enqueued ${ids.length} task${ids.length === 1 ? '' : 's'} from ${opts.file}`)
        })
        return
      }
      if (type === undefined) throw new InputError('missing the task type: swarmage enqueue TYPE [PAYLOAD_JSON] (or --file FILE.ndjson)')
      const options: EnqueueOptions = {}
      if (opts.priority !== undefined) options.priority = opts.priority
      if (opts.delay !== undefined) options.delayMs = opts.delay
      if (opts.runAt !== undefined) options.runAt = opts.runAt
      if (opts.maxAttempts !== undefined) options.maxAttempts = opts.maxAttempts
      if (opts.key !== undefined) options.key = opts.key
      if (opts.group !== undefined) options.group = opts.group
      const value = payload === undefined ? null : parseJsonArg(payload === '-' ? readInput('-') : payload, 'payload')
      validateNewTask({ type, payload: value, options }, limitsOf(ctx))
      await withQueue(ctx, async (queue) => {
        const id = await queue.enqueue(type, value, options)
        if (ctx.out.json) ctx.out.doc({ id })
        else ctx.out.text(id)
      })
    })
}

function limitsOf(ctx: CommandContext): Limits {
  return { maxPayloadBytes: ctx.loaded?.config.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES }
}

/** --file's largest input: every task is parsed before any is stored (all or nothing), so it is held in memory. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024

/**
 * Reads at most MAX_FILE_BYTES: a regular file above it is refused from its size alone (a 2 GB sparse
 * file is never read), and a stream (stdin, /dev/zero) is cut off as soon as it passes the cap.
 */
function readInput(file: string): string {
  const name = file === '-' ? 'stdin' : file
  const tooBig = (): InputError => new InputError(`${name} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, the --file limit: split it into smaller files`)
  const chunks: Buffer[] = []
  let total = 0
  let fd: number | undefined
  try {
    fd = file === '-' ? 0 : openSync(file, 'r')
    const st = fstatSync(fd)
    if (st.isFile() && st.size > MAX_FILE_BYTES) throw tooBig()
    const buf = Buffer.allocUnsafe(1024 * 1024)
    for (;;) {
      let n: number
      try {
        n = readSync(fd, buf, 0, buf.length, null)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue
        if ((err as NodeJS.ErrnoException).code === 'EOF') break
        throw err
      }
      if (n === 0) break
      total += n
      if (total > MAX_FILE_BYTES) throw tooBig()
      chunks.push(Buffer.from(buf.subarray(0, n)))
    }
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(`cannot read ${name}: ${errorMessage(err)}`, { cause: err })
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd)
  }
  return decodeUtf8(Buffer.concat(chunks, total), name)
}

/**
 * Strict UTF-8: Node's 'utf8' decoding would silently turn invalid bytes into U+FFFD and store them.
 * The error names the line of the first invalid byte.
 */
export function decodeUtf8(bytes: Buffer, name: string): string {
  const strict = new TextDecoder('utf-8', { fatal: true })
  try {
    return strict.decode(bytes)
  } catch {
    // Find the line: decode line by line (a newline byte never occurs inside a UTF-8 sequence).
    let line = 1
    let from = 0
    for (;;) {
      const nl = bytes.indexOf(0x0a, from)
      const end = nl === -1 ? bytes.length : nl
      try {
        strict.decode(bytes.subarray(from, end))
      } catch {
        break
      }
      if (nl === -1) break
      line++
      from = nl + 1
    }
    throw new InputError(`${name} line ${line}: not valid UTF-8`)
  }
}

/**
 * Parses and validates EVERY line before anything is stored: one malformed line refuses the whole
 * file, naming its line number (blank lines are skipped but counted).
 */
export function parseTaskLines(text: string, file: string, limits: Limits): NewTask[] {
  const tasks: NewTask[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    const where = `${file} line ${i + 1}`
    try {
      const task = lineToTask(parseJsonArg(line, 'the line'))
      validateNewTask(task, limits)
      tasks.push(task)
    } catch (err) {
      throw new InputError(`${where}: ${errorMessage(err)} (nothing was enqueued)`, { cause: err })
    }
  }
  if (tasks.length === 0) throw new InputError(`${file} has no tasks (expected one JSON object per line)`)
  return tasks
}
