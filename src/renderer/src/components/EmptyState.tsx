import type { ReactNode } from 'react'

/** What an empty view shows: what is missing, and the next step to take. */
export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId: string }) {
  return (
    <div className="empty" data-testid={testId}>
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
    </div>
  )
}
