import { rememberConnection, useUi } from '../stores/ui.ts'
import { DEFAULT_VIEW, parseRoute } from './routes.ts'
import { navigate } from './navigate.ts'

/**
 * A hand-written hash router (this file, navigate.ts, routes.ts: ≈ 80 lines) rather than a library:
 * the console has one level of views plus a task's detail — no nested layouts, loaders or
 * code-split routes — and no router is installed (React Router or TanStack Router would be a new
 * dependency for what `hashchange` already gives).
 *
 * The address is the source of truth for where the operator is. `navigate` (and the UI store's
 * `go`/`openTask`, which call it) write the hash; this listener mirrors it into the store's `view`
 * and `taskId` (and selects the connection a task link names), which components read with
 * selectors. Back and Forward are plain hash changes, so they need nothing more.
 */
function applyLocation(): void {
  const r = parseRoute(window.location.hash)
  const ui = useUi.getState()
  const taskId = r.view === 'tasks' ? r.id : null
  if (r.connection && r.connection !== ui.connectionId) {
    // A pasted task link opens in the queue it names (not via selectConnection, which closes the detail).
    rememberConnection(r.connection)
    useUi.setState({ connectionId: r.connection })
  }
  // Only the Tasks view says whether a task is open: elsewhere the last one is kept for the way back.
  const lastTaskId = r.view === 'tasks' ? taskId : ui.lastTaskId
  if (ui.view !== r.view || ui.taskId !== taskId || ui.lastTaskId !== lastTaskId) useUi.setState({ view: r.view, taskId, lastTaskId })
}

/** Applies the current address (a pasted link) and follows every later change (links, Back, Forward). */
export function startRouter(): () => void {
  window.addEventListener('hashchange', applyLocation)
  // An empty hash (a fresh start, or `#token=…` just taken out) shows the default view; write it so the address says where we are.
  if (!window.location.hash.startsWith('#/')) navigate({ view: DEFAULT_VIEW }, { replace: true })
  else applyLocation()
  return () => window.removeEventListener('hashchange', applyLocation)
}
