/**
 * `swarmage console`: the operator console in a browser. Opens the queue (--queue, the config's,
 * $SWARMAGE_QUEUE, or ./.swarmage/swarm.db) as the console's `embedded` connection, loads the
 * config's workers as worker definitions and runs a drone with them, serves the console, prints the
 * URL on one line, serves GET /metrics (Prometheus, behind the token), and drains on SIGINT/SIGTERM
 * (a second signal exits at once).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createSecureContext } from 'node:tls'
import type { Command } from 'commander'
import { InputError, errorMessage } from '../../core/errors.ts'
import { parseQueueAddress } from '../../queue/address.ts'
import { examplesRequested } from '../../api/examples.ts'
import { ConsoleService, EMBEDDED_ID } from '../../api/service.ts'
import { defaultStaticDir } from '../../console/static-dir.ts'
import { useDroneHeap } from '../../drone/heap.ts'
import { isLoopbackHost, startConsoleServer } from '../../console/server.ts'
import { commandContext, intOption, type CommonOptions } from '../context.ts'

interface ConsoleCliOptions extends CommonOptions {
  port: number
  host: string
  tokenFile?: string
  /** commander's --no-token: false when given. */
  token: boolean
  open: boolean
  dataDir?: string
  examples?: boolean
  tlsCert?: string
  tlsKey?: string
  insecure?: boolean
}

/** Demo tasks a second fed with --examples: SWARMAGE_DEMO_RATE (0 turns the feed off), default 6. */
function demoRate(): number {
  const n = Number(process.env.SWARMAGE_DEMO_RATE ?? 6)
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 1000) : 6
}

export function consoleCommand(program: Command): void {
  program
    .command('console')
    .description('serve the operator console to a browser (every address needs the access token inside the printed URL)')
    .option('--port <n>', 'port to listen on (0: any free port)', intOption(0, 65535), 7777)
    .option('--host <host>', 'address to bind (default loopback)', '127.0.0.1')
    .option('--token-file <file>', 'read the access token from FILE (default: $SWARMAGE_CONSOLE_TOKEN, else a new one per start)')
    .option('--no-token', 'require no access token (loopback only: any local user or process can then drive the console)')
    .option('--tls-cert <file>', 'serve HTTPS and WSS with this certificate (PEM, the chain after it); needs --tls-key')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .option('--insecure', 'allow plain HTTP on a non-loopback --host (the token and typed passwords cross the network in clear)')
    .option('--queue <addr>', "queue address; default: the config's queue, else $SWARMAGE_QUEUE, else sqlite:./.swarmage/swarm.db")
    .option('--config <file>', 'config file whose workers the console runs (default: swarmage.config.* in the working folder)')
    .option('--data-dir <dir>', "the console's settings and drones' local queues (default ./.swarmage/console)")
    .option('--json', 'print {"url": …} as JSON')
    .option('--no-open', 'do not open a browser')
    .option('--examples', 'run the example workers from resources/ on the queue and send demo tasks on first launch (npm start does; also SWARMAGE_CONSOLE_EXAMPLES=1)')
    .action(async (opts: ConsoleCliOptions) => {
      const token = readToken(opts)
      if (!opts.token && !isLoopbackHost(opts.host)) throw new InputError(`--no-token is allowed on a loopback --host only, not on ${opts.host}`)
      const tls = readTls(opts)
      if (!tls && !opts.insecure && !isLoopbackHost(opts.host)) {
        throw new InputError(`--host ${opts.host} is not loopback: give --tls-cert and --tls-key (or reach a loopback console through an SSH tunnel), or --insecure to serve plain HTTP`)
      }
      // This process runs the console's drones: their heap bound (src/drone/heap.ts), before they start.
      useDroneHeap()
      const ctx = await commandContext(opts)
      if (typeof ctx.address !== 'string') throw new InputError('the console cannot open a plug-in queue module ({ module }) yet: give --queue sqlite:… or postgres://…')
      const parsed = parseQueueAddress(ctx.address, ctx.baseDir)
      const defaultQueue = parsed.kind === 'sqlite' ? `sqlite:${parsed.path}` : ctx.address
      const dataDir = resolve(ctx.cwd, opts.dataDir ?? '.swarmage/console')
      const examples = opts.examples === true || examplesRequested([], process.env)
      // GET /metrics (src/metrics): the drones this console runs, enqueues through it, and the
      // embedded queue's counts (this process reads them: a console is one per queue, not N).
      const { SwarmageMetrics } = await import('../../metrics/metrics.ts')
      const metrics = new SwarmageMetrics()
      const service = new ConsoleService({
        dataDir,
        mode: 'browser',
        defaultQueue,
        seedExamples: examples,
        autostart: examples,
        demoFeedPerSecond: examples ? demoRate() : 0,
        watchDrone: (drone) => metrics.watchDrone(drone),
      })
      await service.start()

      let server: Awaited<ReturnType<typeof startConsoleServer>> | undefined
      try {
        metrics.watchQueue(await service.embeddedQueue())
        // Fixed ids per (type, index): running the console again updates the same definitions.
        const ids: string[] = []
        for (const [type, defs] of Object.entries(ctx.loaded?.config.workers ?? {})) {
          for (const [i, d] of (Array.isArray(defs) ? defs : [defs]).entries()) {
            const params: Parameters<typeof service.call<'workers.save'>>[1] = {
              id: `config-${type}-${i + 1}`,
              type,
              module: d.module,
              processes: d.processes ?? 1,
              concurrency: d.concurrency ?? 1,
              watch: true,
            }
            if (d.config !== undefined) params.config = d.config
            if (d.taskTimeoutMs !== undefined) params.taskTimeoutMs = d.taskTimeoutMs
            ids.push((await service.call('workers.save', params)).id)
          }
        }
        if (ids.length > 0) {
          const name = ctx.loaded?.config.drone?.name
          await service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: ids, ...(name ? { name } : {}) })
        }
        server = await startConsoleServer({
          service,
          host: opts.host,
          port: opts.port,
          ...(token !== undefined ? { token } : {}),
          ...(!opts.token ? { noToken: true } : {}),
          ...(tls ? { tls } : {}),
          ...(opts.insecure ? { insecure: true } : {}),
          staticDir: defaultStaticDir(),
          metrics,
        })
      } catch (err) {
        await service.stop()
        throw err
      }

      if (opts.json) process.stdout.write(`${JSON.stringify({ url: server.url })}\n`)
      else {
        const running = ctx.loaded && Object.keys(ctx.loaded.config.workers).length > 0 ? ` (running the workers of ${ctx.loaded.path})` : ''
        process.stdout.write(`swarmage console: ${server.url}${running}\n`)
      }
      if (opts.insecure && !tls && !isLoopbackHost(opts.host)) process.stderr.write(`swarmage console: WARNING: --insecure: plain HTTP on ${opts.host}; the token and typed passwords cross the network in clear\n`)
      if (!opts.token) process.stderr.write('swarmage console: WARNING: --no-token: no access token; any local user or process can drive this console and run code as you\n')
      if (opts.open) openBrowser(server.url)

      const srv = server
      await new Promise<void>((resolveStopped) => {
        let stopping = false
        const stop = (signal: string): void => {
          if (stopping) {
            process.stderr.write(`swarmage console: ${signal} again: exiting now\n`)
            process.exit(130)
          }
          stopping = true
          process.stderr.write(`swarmage console: ${signal}: draining drones (send it again to exit at once)\n`)
          void srv
            .close()
            .then(() => service.stop())
            .catch((err: unknown) => process.stderr.write(`swarmage console: stopping failed: ${errorMessage(err)}\n`))
            .finally(resolveStopped)
        }
        process.on('SIGINT', () => stop('SIGINT'))
        process.on('SIGTERM', () => stop('SIGTERM'))
      })
    })
}

/** The token from --token-file or $SWARMAGE_CONSOLE_TOKEN (never from argv: `ps` shows argv); undefined: generate one. */
function readToken(opts: ConsoleCliOptions): string | undefined {
  let token: string | undefined
  let from: string
  if (opts.tokenFile !== undefined) {
    from = `--token-file ${opts.tokenFile}`
    try {
      token = readFileSync(opts.tokenFile, 'utf8').trim()
    } catch (err) {
      throw new InputError(`--token-file ${opts.tokenFile}: ${errorMessage(err)}`)
    }
  } else {
    from = 'SWARMAGE_CONSOLE_TOKEN'
    token = process.env.SWARMAGE_CONSOLE_TOKEN || undefined
  }
  if (token === undefined) return undefined
  if (!opts.token) throw new InputError(`--no-token cannot be combined with a token (${from})`)
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) throw new InputError(`${from}: the token must be at least 16 printable characters without spaces`)
  return token
}

/** --tls-cert and --tls-key, read and checked as a pair before anything starts; undefined: plain HTTP. */
function readTls(opts: ConsoleCliOptions): { cert: Buffer; key: Buffer } | undefined {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined
  if (opts.tlsCert === undefined) throw new InputError('--tls-key needs --tls-cert')
  if (opts.tlsKey === undefined) throw new InputError('--tls-cert needs --tls-key')
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new InputError(`${flag} ${file}: ${errorMessage(err)}`)
    }
  }
  const pair = { cert: read('--tls-cert', opts.tlsCert), key: read('--tls-key', opts.tlsKey) }
  try {
    createSecureContext(pair)
  } catch (err) {
    // OpenSSL's words ("key values mismatch", "no start line") say which part is wrong.
    throw new InputError(`--tls-cert ${opts.tlsCert} / --tls-key ${opts.tlsKey}: cannot be used: ${errorMessage(err)}`)
  }
  return pair
}

/** Best effort: a missing opener (a server without a desktop) is not an error; the URL is printed. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]]
  try {
    const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    // no opener
  }
}
