import { TASK_STATES, type TaskState } from '../../../core/task.ts'
import type { TaskFilters } from '../data/tasks.ts'
import { VIEWS, type ViewId } from './views.ts'

/**
 * The console's address, in the hash so the static server needs no fallback route and a pasted link
 * works in the app and the browser alike: `#/flow`, `#/tasks`, `#/tasks/ID?connection=C`, and the
 * Tasks view's filters `#/tasks?state=failed&type=resize&q=timeout&connection=C` (also beside an open
 * task: `#/tasks/ID?state=failed&connection=C`). `id` is the item the view opens (a task for Tasks);
 * `connection` travels with a task or a filtered list, since either means something only in its queue.
 */
export interface Route {
  view: ViewId
  id: string | null
  connection: string | null
  /** the Tasks view's filters (`state`, `type`, `q` in the address); always empty on other views */
  filters: TaskFilters
}

export const DEFAULT_VIEW: ViewId = 'flow'

const VIEW_IDS = new Set<string>(VIEWS.map((v) => v.id))
const STATES = new Set<string>(TASK_STATES)

/** Reads a hash (`#/tasks/ID?state=failed&connection=C`); an unknown view, or none, is the default view, and an unknown or invalid parameter is left out. */
export function parseRoute(hash: string): Route {
  const rest = hash.replace(/^#\/?/, '')
  // At the first `?` only: a hand-typed `q=why?` keeps its question mark.
  const at = rest.indexOf('?')
  const path = at < 0 ? rest : rest.slice(0, at)
  const params = new URLSearchParams(at < 0 ? '' : rest.slice(at + 1))
  const [view = '', id = ''] = path.split('/').map((p) => safeDecode(p))
  if (!VIEW_IDS.has(view)) return { view: DEFAULT_VIEW, id: null, connection: null, filters: {} }
  const connection = params.get('connection') || null
  return { view: view as ViewId, id: id || null, connection, filters: view === 'tasks' ? parseTaskFilters(params) : {} }
}

/** `state` (one of TASK_STATES), `type` and `q` (the search text); a state the queue does not have, or an empty value, is no filter. */
export function parseTaskFilters(params: URLSearchParams): TaskFilters {
  const f: TaskFilters = {}
  const state = params.get('state')
  if (state && STATES.has(state)) f.state = state as TaskState
  const type = params.get('type')?.trim()
  if (type) f.type = type
  const search = params.get('q')?.trim()
  if (search) f.search = search
  return f
}

/** The filters as address parameters, in a fixed order so one filter is one address (and `hash === next` skips a no-op move). */
export function formatTaskFilters(f: TaskFilters): string[] {
  const out: string[] = []
  if (f.state) out.push(`state=${encodeURIComponent(f.state)}`)
  if (f.type) out.push(`type=${encodeURIComponent(f.type)}`)
  if (f.search) out.push(`q=${encodeURIComponent(f.search)}`)
  return out
}

export function hasFilters(f: TaskFilters): boolean {
  return !!(f.state || f.type || f.search)
}

export function formatRoute(r: Pick<Route, 'view'> & Partial<Route>): string {
  const path = `#/${r.view}${r.id ? `/${encodeURIComponent(r.id)}` : ''}`
  const params = r.view === 'tasks' && r.filters ? formatTaskFilters(r.filters) : []
  if (r.connection) params.push(`connection=${encodeURIComponent(r.connection)}`)
  return params.length ? `${path}?${params.join('&')}` : path
}

/**
 * A Tasks address: the queue is named when a task is open or a filter is set (so the link means the
 * same list in a colleague's browser), and left out of the bare `#/tasks`, which is the selected queue.
 */
export function tasksRoute(id: string | null, connection: string | null, filters: TaskFilters = {}): Route {
  return { view: 'tasks', id, connection: id || hasFilters(filters) ? connection : null, filters }
}

/** The shareable address of a task in a queue (what "copy link" puts on the clipboard): the task alone, without the list's filters. */
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
