/**
 * A TCP proxy on 127.0.0.1 between drones and PostgreSQL, with three modes:
 * - pass: forwards both ways;
 * - close: destroys every connection (and keeps accepting new ones in pass mode afterwards);
 * - blackhole: stops forwarding in both directions without closing anything, and holds new
 *   connections open without connecting them, which is what a silently dead network path looks like.
 */
import net from 'node:net'

export type ProxyMode = 'pass' | 'blackhole'

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

  constructor(
    private readonly target: { host: string; port: number },
  ) {
    if (target.host !== '127.0.0.1' && target.host !== 'localhost') throw new Error('the fault proxy forwards to 127.0.0.1 only')
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
      this.server!.listen(0, '127.0.0.1', () => resolve())
    })
    return this.port
  }

  /** Rewrites a postgres:// address to go through this proxy. */
  address(pgUrl: string): string {
    const u = new URL(pgUrl)
    u.hostname = '127.0.0.1'
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
    pair.client.on('data', (d) => server.write(d))
    server.on('data', (d) => pair.client.write(d))
    if (this._mode === 'blackhole') server.pause()
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return
    pair.client.destroy()
    pair.server?.destroy()
  }
}
