import { useDrones } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { attach } from './store.ts'

/**
 * "Debug" on a worker definition: the debugger on one process of its type in the first running drone
 * serving it (restarted with the inspector), and that drone sends every next task of the type to that
 * process while the session is open, so the next task stops at a breakpoint whatever `processes` is.
 */
export function DebugTypeButton({ type, processes }: { type: string; processes: number }) {
  const go = useUi((s) => s.go)
  const droneId = useDrones((items) => items.find((d) => d.state === 'running' && d.processes.some((p) => p.type === type))?.id).data
  return (
    <button
      type="button"
      className="btn small ghost"
      disabled={!droneId}
      title={
        !droneId
          ? `No running drone of this console serves ${type}: start one in Drones`
          : processes > 1
            ? `Debug the next task of type ${type}: one of its ${processes} processes runs with the debugger, and every ${type} task goes to it until you detach`
            : `Debug the next task of type ${type}`
      }
      onClick={() => {
        if (!droneId) return
        void attach({ droneId, type })
        go('debugger')
      }}
      data-testid={`worker-debug-${type}`}
    >
      Debug
    </button>
  )
}
