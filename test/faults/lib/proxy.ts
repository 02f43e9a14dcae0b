/**
 * A TCP proxy on 127.0.0.1 between drones and PostgreSQL, with three modes:
 * - pass: forwards both ways;
 * - close: destroys every connection (and keeps accepting new ones in pass mode afterwards);
 * - blackhole: stops forwarding in both directions without closing anything, and holds new
 *   connections open without connecting them, which is what a silently dead network path looks like.
 * The three-host rig (lib/netns.ts) binds one to each test host's veth address instead, and may have
 * it emulate the link's delay and loss where the kernel has no netem.
 */
import net from 'node:net'

export type ProxyMode = 'pass' | 'blackhole'

/**
 * A slow, lossy link, emulated on the client → server direction (the test host's egress, where netem
 * would sit). A byte stream cannot lose bytes, so a lost segment shows as what TCP makes of it: the
 * chunk (and, to keep order, everything after it) waits one retransmission timeout more.
 */
export interface LinkEmulation {
  delayMs: number
  /** uniform ± around delayMs, as netem's `delay 20ms 5ms` */
  jitterMs: number
  /** fraction of chunks "lost" (0.01 = 1%) */
  loss: number
  /** what a loss costs: Linux's minimum retransmission timeout is 200 ms */
  retransmitMs: number
}

export interface ProxyOptions {
  /** Address to listen on: 127.0.0.1 (default), or a test host's veth address in 198.18.0.0/15 (RFC 2544). */
  listenHost?: string
  link?: LinkEmulation
}

interface Pair {
  client: net.Socket
  server: net.Socket | null
}

export class TcpProxy {
  private server: net.Server | null = null
  private readonly pairs = new Set<Pair>()
  private _mode: ProxyMode = 'pass'
  /** connections accepted since start */
  accepted = 0

  private readonly listenHost: string

  constructor(
    private readonly target: { host: string; port: number },
    private readonly options: ProxyOptions = {},
  ) {
    if (target.host !== '127.0.0.1' && target.host !== 'localhost') throw new Error('the fault proxy forwards to 127.0.0.1 only')
    this.listenHost = options.listenHost ?? '127.0.0.1'
    // Never listen where a real network could reach it: loopback, or the benchmark range test hosts use.
    if (this.listenHost !== '127.0.0.1' && !/^198\.1[89]\.\d{1,3}\.\d{1,3}$/.test(this.listenHost)) {
      throw new Error(`the fault proxy listens on 127.0.0.1 or 198.18.0.0/15 only, not ${this.listenHost}`)
    }
  }

  get mode(): ProxyMode {
    return this._mode
  }

  get port(): number {
    const a = this.server?.address()
    if (!a || typeof a === 'string') throw new Error('proxy not listening')
    return a.port
  }

  get connections(): number {
    return this.pairs.size
  }

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client))
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(0, this.listenHost, () => resolve())
    })
    return this.port
  }

  /** Rewrites a postgres:// address to go through this proxy. */
  address(pgUrl: string): string {
    const u = new URL(pgUrl)
    u.hostname = this.listenHost
    u.port = String(this.port)
    return u.toString()
  }

  setMode(mode: ProxyMode): void {
    this._mode = mode
    if (mode === 'blackhole') {
      for (const p of this.pairs) {
        p.client.pause()
        p.server?.pause()
      }
    } else {
      for (const p of this.pairs) {
        if (!p.server) this.connect(p)
        p.client.resume()
        p.server?.resume()
      }
    }
  }

  /**
   * Silently kills the connections that exist now (nothing forwarded, nothing closed), while new
   * connections pass: a NAT or firewall that dropped its state. Returns how many.
   */
  blackholeExisting(): number {
    for (const p of this.pairs) {
      p.client.pause()
      p.server?.pause()
      p.client.removeAllListeners('data')
      p.server?.removeAllListeners('data')
    }
    return this.pairs.size
  }

  /** Destroys every connection now (both sides see a reset). */
  closeAll(): number {
    const n = this.pairs.size
    for (const p of [...this.pairs]) this.drop(p)
    return n
  }

  async stop(): Promise<void> {
    this.closeAll()
    const s = this.server
    this.server = null
    if (s) await new Promise<void>((r) => s.close(() => r()))
  }

  private accept(client: net.Socket): void {
    this.accepted++
    const pair: Pair = { client, server: null }
    this.pairs.add(pair)
    client.on('error', () => this.drop(pair))
    client.on('close', () => this.drop(pair))
    if (this._mode === 'blackhole') client.pause()
    else this.connect(pair)
  }

  private connect(pair: Pair): void {
    const server = net.connect(this.target.port, this.target.host)
    pair.server = server
    server.on('error', () => this.drop(pair))
    server.on('close', () => this.drop(pair))
    // pause() stops 'data' events at once; what arrives meanwhile waits in the socket's buffer, so a
    // healed black hole resumes the byte stream intact.
    this.pipe(pair.client, server, this.options.link)
    server.on('data', (d) => pair.client.write(d))
    if (this._mode === 'blackhole') server.pause()
  }

  /** Forwards from → to, through the emulated link when there is one. */
  private pipe(from: net.Socket, to: net.Socket, link: LinkEmulation | undefined): void {
    if (!link) {
      from.on('data', (d) => to.write(d))
      return
    }
    // A byte stream keeps its order: a chunk never overtakes the one before it (netem's jitter
    // reorders packets, which TCP then puts back in order: the same delays, seen from above).
    let due = 0
    from.on('data', (d) => {
      let at = Date.now() + link.delayMs + (Math.random() * 2 - 1) * link.jitterMs
      if (Math.random() < link.loss) at += link.retransmitMs
      due = Math.max(due, at)
      setTimeout(() => {
        if (!to.destroyed) to.write(d)
      }, due - Date.now())
    })
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return
    pair.client.destroy()
    pair.server?.destroy()
  }
}
