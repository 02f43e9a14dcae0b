import { useMemo, useSyncExternalStore } from 'react'
import type { TaskFilters } from '../data/tasks.ts'
import { rememberConnection, useUi } from '../stores/ui.ts'
import { DEFAULT_VIEW, formatTaskFilters, parseRoute } from './routes.ts'
import { navigate } from './navigate.ts'

/**
 * A hand-written hash router (this file, navigate.ts, routes.ts) rather than a library:
 * the console has one level of views plus a task's detail — no nested layouts, loaders or
 * code-split routes — and no router is installed (React Router or TanStack Router would be a new
 * dependency for what `hashchange` already gives).
 *
 * The address is the source of truth for where the operator is. `navigate` (and the UI store's
 * `go`/`openTask`, which call it) write the hash; this listener mirrors it into the store's `view`
 * and `taskId` (and selects the connection a task or filter link names), which components read with
 * selectors. The Tasks view's filters are read from the address itself (useTaskFilters), never from a
 * store. Back and Forward are plain hash changes, so they need nothing more.
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
  // Only the Tasks view says whether a task is open, and which filters it has: elsewhere the last ones
  // are kept for the way back (`g t` returns to the list as it was left).
  const lastTaskId = r.view === 'tasks' ? taskId : ui.lastTaskId
  const lastTaskFilters = r.view === 'tasks' && !sameFilters(r.filters, ui.lastTaskFilters) ? r.filters : ui.lastTaskFilters
  if (ui.view !== r.view || ui.taskId !== taskId || ui.lastTaskId !== lastTaskId || ui.lastTaskFilters !== lastTaskFilters) {
    useUi.setState({ view: r.view, taskId, lastTaskId, lastTaskFilters })
  }
}

/** Applies the current address (a pasted link) and follows every later change (links, Back, Forward). */
export function startRouter(): () => void {
  window.addEventListener('hashchange', applyLocation)
  // An empty hash (a fresh start, or `#token=…` just taken out) shows the default view; write it so the address says where we are.
  if (!window.location.hash.startsWith('#/')) navigate({ view: DEFAULT_VIEW }, { replace: true })
  else applyLocation()
  return () => window.removeEventListener('hashchange', applyLocation)
}

export function sameFilters(a: TaskFilters, b: TaskFilters): boolean {
  return a.state === b.state && a.type === b.type && a.search === b.search
}

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

const currentHash = (): string => window.location.hash

/**
 * The Tasks view's filters, read from the address (the one place they live): a pasted link, Back and
 * Forward apply them with no copy to keep in step. The same object while they are unchanged (opening a
 * task rewrites the address but not the filters), since queries and effects depend on it.
 */
export function useTaskFilters(): TaskFilters {
  const hash = useSyncExternalStore(subscribeHash, currentHash)
  const filters = parseRoute(hash).filters
  const key = formatTaskFilters(filters).join('&')
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by the filters' own address form, not the parsed object
  return useMemo(() => filters, [key])
}
