import { VIEWS, type ViewId } from './views.ts'

/**
 * The console's address, in the hash so the static server needs no fallback route and a pasted link
 * works in the app and the browser alike: `#/flow`, `#/tasks`, `#/tasks/ID`, `#/tasks/ID?connection=C`.
 * `id` is the item the view opens (a task for Tasks); `connection` travels with a task link, since a
 * task id means something only in its queue.
 */
export interface Route {
  view: ViewId
  id: string | null
  connection: string | null
}

export const DEFAULT_VIEW: ViewId = 'flow'

const VIEW_IDS = new Set<string>(VIEWS.map((v) => v.id))

/** Reads a hash (`#/tasks/ID?connection=C`); anything unknown, or none, is the default view. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2)
  const [view = '', id = ''] = path.split('/').map((p) => safeDecode(p))
  const connection = new URLSearchParams(query).get('connection')
  if (!VIEW_IDS.has(view)) return { view: DEFAULT_VIEW, id: null, connection: null }
  return { view: view as ViewId, id: id || null, connection: connection || null }
}

export function formatRoute(r: Pick<Route, 'view'> & Partial<Route>): string {
  const path = `#/${r.view}${r.id ? `/${encodeURIComponent(r.id)}` : ''}`
  return r.connection ? `${path}?connection=${encodeURIComponent(r.connection)}` : path
}

/** The shareable address of a task in a queue (what "copy link" puts on the clipboard). */
export function taskHref(connectionId: string | null, id: string, base = ''): string {
  return base + formatRoute({ view: 'tasks', id, connection: connectionId })
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
