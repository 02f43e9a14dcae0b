/**
 * A Chrome DevTools Protocol client over one WebSocket to a Node inspector (`ws://127.0.0.1:PORT/ID`):
 * numbered commands answered by id, everything else an event. Only loopback addresses are accepted:
 * an inspector runs any code sent to it, so the worker's stays on 127.0.0.1 and the console's server
 * is the only thing that talks to it (the page talks to the server, with its token).
 */
import { EventEmitter } from 'node:events'
import WebSocket from 'ws'

/** A command the inspector has not answered within this is failed (a paused process still answers Debugger.* at once). */
const COMMAND_TIMEOUT_MS = 15_000
const OPEN_TIMEOUT_MS = 10_000

export class CdpError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message)
    this.name = 'CdpError'
  }
}

interface Pending {
  resolve(result: unknown): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

interface Reply {
  id?: number
  result?: unknown
  error?: { code?: number; message?: string }
  method?: string
  params?: unknown
}

export interface CdpEvents {
  event: [method: string, params: unknown]
  close: [reason: string]
}

/** Throws unless `url` is a ws:// address on the loopback interface. */
export function assertLoopbackInspector(url: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new CdpError(`not an inspector address: ${url.slice(0, 200)}`)
  }
  if (u.protocol !== 'ws:' || !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    throw new CdpError(`an inspector must be ws:// on loopback, got ${url.slice(0, 200)}`)
  }
  return u
}

export class CdpConnection extends EventEmitter<CdpEvents> {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private closedReason: string | null = null

  private constructor(private readonly socket: WebSocket) {
    super()
    socket.on('message', (data) => this.receive(String(data)))
    socket.on('close', () => this.closed('the inspector closed the connection (the worker process exited or was restarted)'))
    socket.on('error', (err) => this.closed(`inspector connection failed: ${err.message}`))
  }

  static async open(url: string): Promise<CdpConnection> {
    assertLoopbackInspector(url)
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: OPEN_TIMEOUT_MS })
      const fail = (err: Error) => reject(new CdpError(`cannot reach the inspector at ${url}: ${err.message}`))
      socket.once('error', fail)
      socket.once('open', () => {
        socket.off('error', fail)
        resolve(new CdpConnection(socket))
      })
    })
  }

  get isClosed(): boolean {
    return this.closedReason !== null
  }

  send(method: string, params: object = {}): Promise<unknown> {
    if (this.closedReason !== null) return Promise.reject(new CdpError(this.closedReason))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new CdpError(`${method}: the inspector did not answer within ${COMMAND_TIMEOUT_MS / 1000} s`))
      }, COMMAND_TIMEOUT_MS)
      this.pending.set(id, { resolve, reject, timer })
      this.socket.send(JSON.stringify({ id, method, params }))
    })
  }

  close(reason = 'detached'): void {
    this.closed(reason)
    this.socket.close()
  }

  private receive(text: string): void {
    let msg: Reply
    try {
      msg = JSON.parse(text) as Reply
    } catch {
      return // not CDP: nothing to route it to
    }
    if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id)
      if (!p) return
      this.pending.delete(msg.id)
      clearTimeout(p.timer)
      if (msg.error) p.reject(new CdpError(msg.error.message ?? 'inspector error', msg.error.code))
      else p.resolve(msg.result ?? {})
    } else if (typeof msg.method === 'string') {
      this.emit('event', msg.method, msg.params ?? {})
    }
  }

  private closed(reason: string): void {
    if (this.closedReason !== null) return
    this.closedReason = reason
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(new CdpError(reason))
    }
    this.pending.clear()
    this.emit('close', reason)
  }
}
