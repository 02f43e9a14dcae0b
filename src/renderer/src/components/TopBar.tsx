import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { useTransportStatus } from '../transport/index.ts'
import { useConnectionList } from '../data/queries.ts'
import { useUi, type Theme } from '../stores/ui.ts'

function LinkStatus() {
  // Only the fields shown: `opens` and `attempt` change on every reconnect and would re-render for nothing.
  const s = useTransportStatus(useShallow((t) => ({ kind: t.kind, state: t.state, retryAt: t.retryAt, lastError: t.lastError })))
  const [, tick] = useState(0)
  useEffect(() => {
    if (s.state !== 'closed') return
    const t = setInterval(() => tick((n) => n + 1), 500)
    return () => clearInterval(t)
  }, [s.state])
  const label =
    s.kind === 'bridge'
      ? 'desktop'
      : s.state === 'open'
        ? 'connected'
        : s.state === 'connecting'
          ? 'connecting…'
          : `disconnected, retry in ${Math.max(0, Math.ceil(((s.retryAt ?? Date.now()) - Date.now()) / 1000))} s`
  return (
    <span className={`link-status ${s.state}`} data-testid="link-status" data-state={s.state} title={s.lastError ?? undefined}>
      <span className="dot" aria-hidden />
      {label}
    </span>
  )
}

export function TopBar() {
  const connections = useConnectionList()
  const connectionId = useUi((s) => s.connectionId)
  const select = useUi((s) => s.selectConnection)
  const theme = useUi((s) => s.theme)
  const setTheme = useUi((s) => s.setTheme)
  const lastError = useTransportStatus((s) => (s.state === 'closed' ? s.lastError : null))
  return (
    <header className="topbar" data-testid="topbar">
      <label className="inline">
        <span className="muted">Queue</span>
        <select value={connectionId ?? ''} onChange={(e) => select(e.target.value || null)} data-testid="connection-select">
          {connections.length === 0 && <option value="">no connection</option>}
          {connections.map((c) => (
            <option key={c.id} value={c.id} title={c.display}>
              {c.name} — {c.target.summary}
            </option>
          ))}
        </select>
      </label>
      <div className="spacer" />
      {lastError && (
        <span className="warn-text" data-testid="link-error">
          {lastError}
        </span>
      )}
      <LinkStatus />
      <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)} aria-label="Theme" data-testid="theme-select">
        <option value="system">system theme</option>
        <option value="dark">dark</option>
        <option value="light">light</option>
      </select>
    </header>
  )
}
