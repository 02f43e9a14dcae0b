/**
 * The renderer's Content-Security-Policy, one definition for the response header main adds and the
 * meta tag the build puts in index.html (electron.vite.config.ts). No `electron` import here: the
 * build config loads this file under plain Node.
 *
 * Scripts only from our own origin (no inline, no eval, no remote code); connections only to our own
 * origin (IPC needs none; the browser console's WebSocket is same-origin, which 'self' covers in
 * Chromium); inline styles allowed because React's `style` props and uPlot set element styles.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ')

/** frame-ancestors is ignored (with a console warning) in a meta tag, so it is header-only. */
export const RENDERER_CSP_HEADER = `${RENDERER_CSP}; frame-ancestors 'none'`

/**
 * `electron-vite dev` serves the renderer over http with HMR: the React refresh preamble is an inline
 * script and HMR talks over ws. Used only when ELECTRON_RENDERER_URL is set (never in a build).
 */
export const DEV_RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' ws: http:",
  "object-src 'none'",
].join('; ')
