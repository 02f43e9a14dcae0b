import { useUi, VIEWS } from '../stores/ui.ts'

export function Help() {
  const show = useUi((s) => s.showHelp)
  if (!show) return null
  const close = () => useUi.setState({ showHelp: false })
  return (
    <div className="overlay" onClick={close} data-testid="help">
      <div className="dialog" onClick={(e) => e.stopPropagation()} role="dialog" aria-label="Keyboard shortcuts">
        <h2>Keyboard shortcuts</h2>
        <table className="table compact">
          <tbody>
            {VIEWS.map((v, i) => (
              <tr key={v.id}>
                <td>
                  <kbd>g</kbd> <kbd>{v.key}</kbd>
                  {/* one digit per view, as far as the digits go (keyboard.ts) */}
                  {i < 9 && (
                    <>
                      {' '}
                      or <kbd>{i + 1}</kbd>
                    </>
                  )}
                </td>
                <td>{v.label}</td>
              </tr>
            ))}
            <tr>
              <td>
                <kbd>↑</kbd> <kbd>↓</kbd> / <kbd>k</kbd> <kbd>j</kbd>
              </td>
              <td>move in a table</td>
            </tr>
            <tr>
              <td>
                <kbd>Enter</kbd>
              </td>
              <td>open the selected row</td>
            </tr>
            <tr>
              <td>
                <kbd>Esc</kbd>
              </td>
              <td>close a panel or this help</td>
            </tr>
            <tr>
              <td>
                <kbd>/</kbd>
              </td>
              <td>search tasks</td>
            </tr>
          </tbody>
        </table>
        <button type="button" className="btn" onClick={close}>
          Close
        </button>
      </div>
    </div>
  )
}
