import { isTyping } from './components/hooks.ts'
import { useUi, VIEWS } from './stores/ui.ts'

/** A "g" waits this long for its second key (vim/GitHub style chords). */
const CHORD_MS = 1200

/**
 * Global shortcuts: g+letter or 1–9 switch views, ? shows help, / focuses the task search. Registered in
 * the capture phase so a consumed key (the "k" of "g k") never reaches a table's j/k handler.
 */
export function installShortcuts(): () => void {
  let gAt = 0
  const onKey = (e: KeyboardEvent): void => {
    if (e.metaKey || e.ctrlKey || e.altKey || isTyping(e)) return
    const ui = useUi.getState()
    const consume = (): void => {
      e.preventDefault()
      e.stopImmediatePropagation()
    }
    if (gAt && Date.now() - gAt < CHORD_MS) {
      gAt = 0
      const v = VIEWS.find((x) => x.key === e.key)
      if (v) {
        consume()
        ui.go(v.id)
      }
      return
    }
    if (e.key === 'g') {
      gAt = Date.now()
      consume()
    } else if (/^[1-9]$/.test(e.key) && Number(e.key) <= VIEWS.length) {
      // Help offers a digit for every view, so every view up to 9 answers one.
      consume()
      ui.go(VIEWS[Number(e.key) - 1]!.id)
    } else if (e.key === '?') {
      consume()
      useUi.setState({ showHelp: !ui.showHelp })
    } else if (e.key === 'Escape' && ui.showHelp) {
      consume()
      useUi.setState({ showHelp: false })
    } else if (e.key === '/') {
      consume()
      ui.go('tasks')
      requestAnimationFrame(() => document.querySelector<HTMLInputElement>('[data-testid="tasks-search"]')?.focus())
    }
  }
  window.addEventListener('keydown', onKey, { capture: true })
  return () => window.removeEventListener('keydown', onKey, { capture: true })
}
