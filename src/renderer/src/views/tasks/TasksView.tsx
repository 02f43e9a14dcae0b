import { useCallback, useEffect, useRef, useState } from 'react'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useInterval, useListKeys } from '../../components/hooks.ts'
import { byType } from '../../stores/flow.ts'
import { useFlow } from '../../stores/flow.ts'
import { useWorkerDefs } from '../../stores/resources.ts'
import { useTasks, type TaskFilters as Filters } from '../../stores/tasks.ts'
import { useUi } from '../../stores/ui.ts'
import { BulkBar } from './BulkBar.tsx'
import { TaskDetail } from './TaskDetail.tsx'
import { TaskFilters } from './TaskFilters.tsx'
import { TaskTable, type TaskTableHandle } from './TaskTable.tsx'

/** Live refresh: every second while tasks flow, every 5 s when quiet (one list query each). */
const LIVE_MS = 1000
const QUIET_MS = 5000

export function TasksView() {
  const connectionId = useUi((s) => s.connectionId)
  const openId = useUi((s) => s.taskId)
  const openTask = useUi((s) => s.openTask)
  const { rows, error, loading, pendingNew, filters } = useTasks()
  const defs = useWorkerDefs((s) => s.items)
  const [cursor, setCursor] = useState(-1)
  const table = useRef<TaskTableHandle | null>(null)
  const refreshed = useRef({ at: 0, version: -1 })

  useEffect(() => {
    useTasks.getState().setQuery(connectionId, useTasks.getState().filters)
  }, [connectionId])
  const onFilters = useCallback((f: Filters) => {
    setCursor(-1)
    useTasks.getState().setQuery(useUi.getState().connectionId, f)
  }, [])

  useInterval(() => {
    const version = useFlow.getState().version
    const r = refreshed.current
    const now = Date.now()
    if (version === r.version && now - r.at < QUIET_MS) return
    r.at = now
    r.version = version
    const t = table.current
    const atTop = t?.atTop() ?? true
    const store = useTasks.getState()
    void store.refreshHead(atTop)
    if (!atTop && t) {
      const range = t.visibleRange()
      void store.refreshRange(range.start, range.count)
    }
  }, LIVE_MS)

  const move = (i: number) => {
    setCursor(i)
    table.current?.scrollToIndex(i)
  }
  useListKeys({
    count: rows.length,
    index: cursor,
    setIndex: move,
    onOpen: (i) => {
      const t = rows[i]
      if (t) openTask(t.id)
    },
    onClose: () => openTask(null),
  })

  const types = [...new Set([...defs.map((d) => d.type), ...byType.keys()])].sort()
  const showNew = () => {
    table.current?.scrollToIndex(0)
    void useTasks.getState().reload()
  }

  return (
    <div className="tasks-view">
      <div className="view-head">
        <h1>Tasks</h1>
        <TaskFilters key={connectionId ?? ''} filters={filters} onChange={onFilters} types={types} />
        {connectionId && <BulkBar connectionId={connectionId} filters={filters} />}
      </div>
      {!connectionId ? (
        <EmptyState title="No queue selected" testId="tasks-no-connection">
          Add a connection on <strong>Connections</strong> (g c), then pick it in the top bar.
        </EmptyState>
      ) : (
        <div className="tasks-body">
          <div className="tasks-list">
            <ErrorBox error={error} what="Could not list tasks" onRetry={() => void useTasks.getState().reload()} testId="tasks-error" />
            {pendingNew > 0 && (
              <button type="button" className="new-banner" onClick={showNew} data-testid="tasks-new">
                {pendingNew} newer task{pendingNew === 1 ? '' : 's'} — show
              </button>
            )}
            {!loading && !error && rows.length === 0 ? (
              <EmptyState title={filters.state || filters.type || filters.search ? 'No task matches these filters' : 'No tasks in this queue'} testId="tasks-empty">
                {filters.state || filters.type || filters.search ? (
                  'Clear a filter to see more.'
                ) : (
                  <>
                    Enqueue one on <strong>Enqueue</strong> (g e), or press <strong>Send demo tasks</strong> there.
                  </>
                )}
              </EmptyState>
            ) : (
              <TaskTable cursor={cursor} setCursor={setCursor} onOpen={(t) => openTask(t.id)} openId={openId} handle={table} />
            )}
          </div>
          {openId && <TaskDetail key={openId} connectionId={connectionId} id={openId} onClose={() => openTask(null)} />}
        </div>
      )}
    </div>
  )
}
