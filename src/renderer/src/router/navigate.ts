import { formatRoute, type Route } from './routes.ts'

/** Edits of one field this close together are one typing burst: one history entry, rewritten. */
export const EDIT_BURST_MS = 3000

interface EditMark {
  swarmageEdit: string
  at: number
}

/**
 * Moves to a route by writing the hash: one history entry (Back returns), and `hashchange` lets the
 * router (hash-router.ts) mirror it into the UI store. `replace` rewrites the current entry instead
 * (no Back step), for corrections such as an empty address becoming `#/flow`.
 *
 * `edit` names a text field whose (debounced) value the move writes, e.g. the Tasks search: the first
 * value of a burst of typing is a new entry, and later values within EDIT_BURST_MS of the last rewrite
 * that entry. So Back steps over a whole search ("timeout"), not each pause in it ("ti", "time"), yet
 * a search typed after reading the results is its own step. The mark rides in `history.state`, so it
 * belongs to the entry and a Back onto an older entry starts a new burst.
 */
export function navigate(to: Pick<Route, 'view'> & Partial<Route>, opts: { replace?: boolean; edit?: string } = {}): void {
  const hash = formatRoute(to)
  if (window.location.hash === hash) return
  const now = Date.now()
  const mark = window.history.state as Partial<EditMark> | null
  const sameBurst = opts.edit !== undefined && mark?.swarmageEdit === opts.edit && now - (mark.at ?? 0) < EDIT_BURST_MS
  if (opts.replace || sameBurst) {
    window.history.replaceState(opts.edit ? { swarmageEdit: opts.edit, at: now } : window.history.state, '', hash)
    // replaceState fires no hashchange: tell the router ourselves.
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  } else if (opts.edit) {
    window.history.pushState({ swarmageEdit: opts.edit, at: now } satisfies EditMark, '', hash)
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  } else {
    window.location.hash = hash
  }
}
