import { useState } from 'react'
import { HoldingsPanel, type HoldingsSource } from './HoldingsPanel.tsx'

/** "Tasks in hand": a toggle that opens a drone's HoldingsPanel (it polls only while open). */
export function HoldingsSection(props: HoldingsSource & { inHand?: number }) {
  const [open, setOpen] = useState(false)
  return (
    <div className="holdings-section">
      <button type="button" className="btn small ghost" onClick={() => setOpen(!open)} aria-expanded={open} data-testid="holdings-toggle">
        {open ? '▾' : '▸'} Tasks in hand{props.inHand === undefined ? '' : ` (${props.inHand})`}
      </button>
      {open && <HoldingsPanel {...props} />}
    </div>
  )
}
