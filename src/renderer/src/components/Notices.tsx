import { useNotices } from '../stores/notices.ts'

export function Notices() {
  const notices = useNotices((s) => s.notices)
  const dismiss = useNotices((s) => s.dismiss)
  if (notices.length === 0) return null
  return (
    <div className="notices" data-testid="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.level}`} data-testid={`notice-${n.level}`}>
          <span>{n.message}</span>
          <button type="button" className="link" onClick={() => dismiss(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
