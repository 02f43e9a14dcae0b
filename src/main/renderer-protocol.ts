/**
 * Serves the built renderer (out/renderer) on `swarmage://app/`, a privileged custom scheme, instead
 * of file://. A file:// page shares its origin with every local file (any file it is tricked into
 * loading gets the same rights and the preload's bridge); our own scheme gives the console one origin
 * that the IPC sender check can name exactly, serves nothing outside out/renderer, and lets us attach
 * the CSP header to every response (webRequest does not see custom-protocol responses).
 */
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { RENDERER_CSP_HEADER } from './csp.ts'

export const RENDERER_SCHEME = 'swarmage'
export const RENDERER_HOST = 'app'
export const RENDERER_ORIGIN = `${RENDERER_SCHEME}://${RENDERER_HOST}`
export const RENDERER_INDEX_URL = `${RENDERER_ORIGIN}/index.html`

/** For `protocol.registerSchemesAsPrivileged`, before app 'ready'. */
export const RENDERER_SCHEME_PRIVILEGES = {
  scheme: RENDERER_SCHEME,
  // standard: real origins and relative URLs; secure: a secure context like https; corsEnabled and
  // supportFetchAPI: Vite's `<script type="module" crossorigin>` and fetch() of our own assets work;
  // codeCache: V8 caches our bundle's compiled code between launches as it does for https.
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
}

/** The file under `rendererDir` a request names, or undefined if it names anything else. */
export function resolveRendererFile(rendererDir: string, requestUrl: string): string | undefined {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return undefined
  }
  if (url.protocol !== `${RENDERER_SCHEME}:` || url.host !== RENDERER_HOST) return undefined
  let path: string
  try {
    path = decodeURIComponent(url.pathname)
  } catch {
    return undefined
  }
  if (path.includes('\0')) return undefined
  const root = normalize(rendererDir + sep)
  const file = normalize(join(root, path === '/' ? 'index.html' : path))
  return file.startsWith(root) ? file : undefined
}

/** The `protocol.handle` handler: the file with its type and our security headers, or a 404. */
export function rendererRequestHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const file = resolveRendererFile(rendererDir, request.url)
    if (!file) return new Response('not found', { status: 404 })
    try {
      const body = await readFile(file)
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-security-policy': RENDERER_CSP_HEADER,
          'x-content-type-options': 'nosniff',
          'cross-origin-opener-policy': 'same-origin',
        },
      })
    } catch {
      return new Response('not found', { status: 404 })
    }
  }
}
