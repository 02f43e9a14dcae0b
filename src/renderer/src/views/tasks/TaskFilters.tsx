import { useEffect, useState } from 'react'
import { TASK_STATES, type TaskState } from '../../../../core/task.ts'
import { fmtCount, fmtMs } from '../../lib/format.ts'
import type { TaskFilters as Filters } from '../../data/tasks.ts'
import type { TaskList } from './useTaskList.ts'

/** Text filters wait this long after the last key before querying (one query per word, not per key). */
const DEBOUNCE_MS = 300

/** `edit`: which text box the change was typed in (none for the state picked from the list). */
type OnChange = (f: Filters, edit?: 'type' | 'search') => void

export function TaskFilters({ filters, onChange, types, list }: { filters: Filters; onChange: OnChange; types: string[]; list: Pick<TaskList, 'total' | 'totalCapped' | 'rows' | 'loading' | 'lastLoadMs'> }) {
  const [type, setType] = useState(filters.type ?? '')
  const [search, setSearch] = useState(filters.search ?? '')
  // The boxes hold the text being typed; the filters come from the address. When the address changes a
  // filter (Back, Forward, a link, or this box's own debounced write landing), the box shows it — unless
  // it already says so, so a trailing space being typed is not taken away. Adjusted during render (not in
  // an effect) so the debounce below never sees the old text against the new filters and writes it back.
  const [shown, setShown] = useState({ type: filters.type ?? '', search: filters.search ?? '' })
  const routeType = filters.type ?? ''
  const routeSearch = filters.search ?? ''
  if (shown.type !== routeType || shown.search !== routeSearch) {
    setShown({ type: routeType, search: routeSearch })
    if (shown.type !== routeType && type.trim() !== routeType) setType(routeType)
    if (shown.search !== routeSearch && search.trim() !== routeSearch) setSearch(routeSearch)
  }
  const { total, totalCapped: capped, loading, lastLoadMs } = list
  const loaded = list.rows.length

  useEffect(() => {
    const t = setTimeout(() => {
      const next: Filters = { ...filters }
      if (type.trim()) next.type = type.trim()
      else delete next.type
      if (search.trim()) next.search = search.trim()
      else delete next.search
      if (next.type !== filters.type || next.search !== filters.search) onChange(next, next.type !== filters.type ? 'type' : 'search')
    }, DEBOUNCE_MS)
    return () => clearTimeout(t)
  }, [type, search, filters, onChange])

  return (
    <div className="filters" data-testid="tasks-filters">
      <select
        value={filters.state ?? ''}
        onChange={(e) => {
          const next: Filters = { ...filters }
          if (e.target.value) next.state = e.target.value as TaskState
          else delete next.state
          onChange(next)
        }}
        aria-label="State"
        data-testid="tasks-state"
      >
        <option value="">all states</option>
        {TASK_STATES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <input className="mono" list="task-types" value={type} onChange={(e) => setType(e.target.value)} placeholder="type" aria-label="Type" data-testid="tasks-type" />
      <datalist id="task-types">
        {types.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <input className="grow" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="search payload and error text  ( / )" aria-label="Search" data-testid="tasks-search" />
      <span className="muted count" data-testid="tasks-count">
        {loading && <span className="spinner" aria-label="loading" />} {fmtCount(total)}
        {capped ? '+' : ''} tasks · {fmtCount(loaded)} loaded{lastLoadMs !== null ? ` · ${fmtMs(lastLoadMs)}` : ''}
      </span>
    </div>
  )
}
