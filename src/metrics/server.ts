import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errorMessage } from '../core/errors.ts'
import type { SwarmageMetrics } from './metrics.ts'

export interface MetricsServer {
  /** http://host:port/metrics */
  url: string
  port: number
  close(): Promise<void>
}

/**
 * `swarmage drone --metrics-port`: GET /metrics (HEAD too) and nothing else. It serves counts and
 * type names only, never payloads, and binds loopback unless told otherwise (--metrics-host).
 */
export async function startMetricsServer(metrics: SwarmageMetrics, options: { port: number; host?: string }): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1'
  const server = createServer((req, res) => void serveMetrics(metrics, req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const shown = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shown}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Answers one request for /metrics (also used by the console's server, behind its token). */
export async function serveMetrics(metrics: SwarmageMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  if (path !== '/metrics') return text(res, 404, 'not found: metrics are at /metrics')
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed')
  try {
    const { contentType, body } = await metrics.render()
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : body)
  } catch (err) {
    // A queue that cannot be read fails the scrape (Prometheus records `up` 0 and the reason).
    text(res, 503, `metrics unavailable: ${errorMessage(err)}`)
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(body)
}
