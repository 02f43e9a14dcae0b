import { useDrones } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { attach } from './store.ts'

/**
 * "Debug" on a worker definition: the debugger on the first process of its type in the first running
 * drone serving it, so the next task of that type stops at a breakpoint (every next task when the
 * definition has one process, the default; with more, those that process gets).
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
            ? `Debug one of the ${processes} processes of ${type}: the tasks it gets stop at your breakpoints`
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
