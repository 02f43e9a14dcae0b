import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, type RefObject } from 'react'
import type { Task } from '../../../../core/task.ts'
import { fmtTime, shortId } from '../../lib/format.ts'
import type { TaskList, TaskTableHandle } from './useTaskList.ts'

export type { TaskTableHandle } from './useTaskList.ts'

/** Fixed row height: the virtualizer never measures, so rows never move while data streams in. */
export const ROW_HEIGHT = 28
/** Start loading the next page when the view comes this close to the last loaded row. */
const PREFETCH_ROWS = 60


export function TaskTable({ list, cursor, setCursor, onOpen, openId, handle }: { list: TaskList; cursor: number; setCursor: (i: number) => void; onOpen: (t: Task) => void; openId: string | null; handle: RefObject<TaskTableHandle | null> }) {
  const { rows, total, hasMore, loading, loadMore } = list
  const scroller = useRef<HTMLDivElement>(null)
  // The scrollbar spans every matching task (from the count), so its size does not jump as pages load.
  const count = hasMore ? Math.max(total, rows.length + 1) : rows.length
  const v = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 })
  const items = v.getVirtualItems()
  const last = items[items.length - 1]?.index ?? 0

  useEffect(() => {
    if (hasMore && !loading && last >= rows.length - PREFETCH_ROWS) loadMore()
  }, [last, rows.length, hasMore, loading, loadMore])

  useEffect(() => {
    handle.current = {
      scrollToIndex: (i) => v.scrollToIndex(i, { align: 'auto' }),
      atTop: () => (scroller.current?.scrollTop ?? 0) < ROW_HEIGHT,
      visibleRange: () => {
        const vi = v.getVirtualItems()
        const start = vi[0]?.index ?? 0
        return { start, count: vi.length }
      },
    }
  })

  return (
    <div className="vtable" data-testid="tasks-table" data-count={count} data-loaded={rows.length}>
      <div className="vrow vhead" role="row">
        <span>ID</span>
        <span>Type</span>
        <span>State</span>
        <span className="num">Att.</span>
        <span className="num">Prio</span>
        <span>Created</span>
        <span>Finished</span>
        <span>Drone</span>
      </div>
      <div className="vscroll" ref={scroller} data-testid="tasks-scroll">
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {items.map((it) => {
            const t = rows[it.index]
            const style = { transform: `translateY(${it.start}px)` }
            if (!t) {
              return (
                <div key={it.key} className="vrow placeholder" style={style} data-testid="task-row-loading">
                  <span className="skeleton" />
                </div>
              )
            }
            return (
              <div
                key={t.id}
                role="row"
                className={`vrow${it.index === cursor ? ' cursor' : ''}${t.id === openId ? ' open' : ''}`}
                style={style}
                onClick={() => {
                  setCursor(it.index)
                  onOpen(t)
                }}
                data-testid="task-row"
                data-id={t.id}
                data-state={t.state}
                data-type={t.type}
                data-index={it.index}
              >
                <span className="mono" title={t.id}>
                  {shortId(t.id)}
                </span>
                <span className="mono ellipsis">{t.type}</span>
                <span>
                  <span className={`state state-${t.state}`}>{t.state}</span>
                </span>
                <span className="num">
                  {t.attempts}/{t.maxAttempts}
                </span>
                <span className="num">{t.priority}</span>
                <span className="muted">{fmtTime(t.createdAt)}</span>
                <span className="muted">{fmtTime(t.finishedAt)}</span>
                <span className="ellipsis muted">{t.drone ?? '–'}</span>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}
