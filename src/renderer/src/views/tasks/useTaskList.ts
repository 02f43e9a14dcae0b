import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query'
import { useCallback, useMemo, useRef, useState, type RefObject } from 'react'
import { useInterval } from '../../components/hooks.ts'
import { fetchTasksPage, mergeHead, patchRows, taskRows, tasksQuery, type TaskFilters, type TasksData } from '../../data/tasks.ts'
import { useFlow } from '../../stores/flow.ts'

/** What the live refresh asks the virtualized table (TaskTable) about its scroll position. */
export interface TaskTableHandle {
  scrollToIndex(i: number): void
  atTop(): boolean
  visibleRange(): { start: number; count: number }
}

/** Live refresh: every second while tasks flow, every 5 s when quiet (one list query each). */
const LIVE_MS = 1000
const QUIET_MS = 5000

/**
 * A queue's task list under a filter (the infinite query), plus its live refresh: the first page is
 * re-read and folded in with mergeHead (new tasks held back while scrolled down), and the rows on
 * screen are re-read and patched — never every loaded page.
 */
export function useTaskList(connectionId: string | null, filters: TaskFilters, table: RefObject<TaskTableHandle | null>) {
  const qc = useQueryClient()
  const query = useInfiniteQuery({
    ...tasksQuery(connectionId ?? '', filters),
    enabled: !!connectionId,
    // A new filter keeps the rows (and the scrollbar sized by their count) until its first page is in, as a
    // table should not blink empty on every key; another queue's rows are never shown for this one.
    placeholderData: (prev, prevQuery) => (prevQuery && (prevQuery.queryKey[1] as { connectionId: string }).connectionId === connectionId ? prev : undefined),
  })
  const rows = useMemo(() => taskRows(query.data), [query.data])
  const [pending, setPending] = useState<{ key: string; count: number }>({ key: '', count: 0 })
  const refreshed = useRef({ at: 0, version: -1 })
  const key = JSON.stringify([connectionId, filters])

  useInterval(() => {
    if (!connectionId || query.isFetching || !query.data) return
    const version = useFlow.getState().version
    const r = refreshed.current
    const now = Date.now()
    if (version === r.version && now - r.at < QUIET_MS) return
    r.at = now
    r.version = version
    const t = table.current
    const atTop = t?.atTop() ?? true
    const opts = tasksQuery(connectionId, filters)
    fetchTasksPage(connectionId, filters, null).then(
      (fresh) => {
        let count = 0
        qc.setQueryData(opts.queryKey, (d) => {
          const m = mergeHead(d, { ...fresh, ms: d?.pages[0]?.ms ?? fresh.ms }, atTop)
          count = m.pendingNew
          return m.data
        })
        setPending({ key, count })
      },
      // A failed background refresh keeps what is shown; the next tick tries again.
      () => undefined,
    )
    const cur = taskRows(qc.getQueryData<TasksData>(opts.queryKey))
    const range = t?.visibleRange()
    if (!atTop && range && range.start > 0 && range.start < cur.length) {
      const before = cur[range.start - 1]!
      fetchTasksPage(connectionId, filters, before, Math.min(1000, range.count)).then(
        (page) => qc.setQueryData(opts.queryKey, (d) => (d ? patchRows(d, page.tasks) : d)),
        () => undefined,
      )
    }
  }, LIVE_MS)

  /** Back to the top: the first page alone, fresh (the banner's "show"). */
  const showNew = useCallback(() => {
    setPending({ key: '', count: 0 })
    if (connectionId) void qc.resetQueries({ queryKey: tasksQuery(connectionId, filters).queryKey, exact: true })
  }, [qc, connectionId, filters])

  const first = query.data?.pages[0]
  return {
    rows,
    total: Math.max(first?.total ?? 0, rows.length),
    totalCapped: first?.totalCapped ?? false,
    lastLoadMs: first?.ms ?? null,
    // From the rows shown: TanStack's hasNextPage reads the new filter's own (still empty) data while the
    // previous rows stand in, which would shrink the scrollbar to those rows for a moment.
    hasMore: !!query.data?.pages[query.data.pages.length - 1]?.more,
    loading: query.isFetching,
    error: query.error,
    pendingNew: pending.key === key ? pending.count : 0,
    loadMore: () => {
      if (!query.isFetching && !query.isPlaceholderData && query.hasNextPage) void query.fetchNextPage()
    },
    reload: showNew,
    showNew,
  }
}

export type TaskList = ReturnType<typeof useTaskList>
