import { useCallback, useRef, useState } from 'react'
import { EmptyState } from '../../components/EmptyState.tsx'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useListKeys } from '../../components/hooks.ts'
import { useWorkerDefList } from '../../data/queries.ts'
import type { TaskFilters as Filters } from '../../data/tasks.ts'
import { useTaskFilters } from '../../router/hash-router.ts'
import { navigate } from '../../router/navigate.ts'
import { parseRoute, tasksRoute } from '../../router/routes.ts'
import { byType } from '../../stores/flow.ts'
import { useUi } from '../../stores/ui.ts'
import { BulkBar } from './BulkBar.tsx'
import { TaskDetail } from './TaskDetail.tsx'
import { TaskFilters } from './TaskFilters.tsx'
import { TaskTable, type TaskTableHandle } from './TaskTable.tsx'
import { useTaskList } from './useTaskList.ts'

export function TasksView() {
  const connectionId = useUi((s) => s.connectionId)
  const openId = useUi((s) => s.taskId)
  const openTask = useUi((s) => s.openTask)
  const filters = useTaskFilters()
  const defs = useWorkerDefList()
  const [cursor, setCursor] = useState(-1)
  const table = useRef<TaskTableHandle | null>(null)
  const list = useTaskList(connectionId, filters, table)
  const { rows, error, loading, pendingNew } = list

  // A filter is written to the address (the open task stays open beside the new list). A picked state
  // is a deliberate step, so it is a new history entry that Back undoes; typed text is an `edit` burst
  // (navigate.ts): one entry per search, not one per pause in typing, so Back is not flooded by keys.
  const onFilters = useCallback((f: Filters, edit?: 'type' | 'search') => {
    setCursor(-1)
    navigate(tasksRoute(parseRoute(window.location.hash).id, useUi.getState().connectionId, f), { edit })
  }, [])

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
    list.showNew()
  }

  return (
    <div className="tasks-view">
      <div className="view-head">
        <h1>Tasks</h1>
        <TaskFilters key={connectionId ?? ''} filters={filters} onChange={onFilters} types={types} list={list} />
        {connectionId && <BulkBar connectionId={connectionId} filters={filters} />}
      </div>
      {!connectionId ? (
        <EmptyState title="No queue selected" testId="tasks-no-connection">
          Add a connection on <strong>Connections</strong> (g c), then pick it in the top bar.
        </EmptyState>
      ) : (
        <div className="tasks-body">
          <div className="tasks-list">
            <ErrorBox error={error} what="Could not list tasks" onRetry={list.reload} testId="tasks-error" />
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
              <TaskTable list={list} cursor={cursor} setCursor={setCursor} onOpen={(t) => openTask(t.id)} openId={openId} handle={table} />
            )}
          </div>
          {openId && <TaskDetail key={openId} connectionId={connectionId} id={openId} onClose={() => openTask(null)} />}
        </div>
      )}
    </div>
  )
}
