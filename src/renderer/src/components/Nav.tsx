import { useUi, viewDigit, VIEWS } from '../stores/ui.ts'
import { useDrones } from '../data/queries.ts'

export function Nav() {
  const view = useUi((s) => s.view)
  const go = useUi((s) => s.go)
  const running = useDrones((items) => items.filter((d) => d.state === 'running').length).data ?? 0
  return (
    <nav className="nav" data-testid="nav" aria-label="Views">
      <div className="brand">
        <span className="brand-mark" aria-hidden>
          ⬡
        </span>
        Swarmage
      </div>
      {VIEWS.map((v, i) => (
        <button
          key={v.id}
          type="button"
          className={`nav-item${view === v.id ? ' active' : ''}`}
          aria-current={view === v.id ? 'page' : undefined}
          onClick={() => go(v.id)}
          data-testid={`nav-${v.id}`}
          title={`${v.label} (g ${v.key}${viewDigit(i) ? ` or ${viewDigit(i)}` : ''})`}
        >
          <span>{v.label}</span>
          {v.id === 'drones' && running > 0 ? <span className="badge">{running}</span> : viewDigit(i) && <kbd>{viewDigit(i)}</kbd>}
        </button>
      ))}
      <div className="nav-foot">
        <button type="button" className="link" onClick={() => useUi.setState({ showHelp: true })} data-testid="nav-help">
          Shortcuts <kbd>?</kbd>
        </button>
      </div>
    </nav>
  )
}
