import { formatRoute, type Route } from './routes.ts'

/**
 * Moves to a route by writing the hash: one history entry (Back returns), and `hashchange` lets the
 * router (hash-router.ts) mirror it into the UI store. `replace` rewrites the current entry instead
 * (no Back step), for corrections such as an empty address becoming `#/flow`.
 */
export function navigate(to: Pick<Route, 'view'> & Partial<Route>, opts: { replace?: boolean } = {}): void {
  const hash = formatRoute(to)
  if (window.location.hash === hash) return
  if (opts.replace) {
    window.history.replaceState(window.history.state, '', hash)
    // replaceState fires no hashchange: tell the router ourselves.
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  } else {
    window.location.hash = hash
  }
}
