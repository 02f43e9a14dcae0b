import type { Task } from '../../../../core/task.ts'
import { useDrones } from '../../data/queries.ts'
import { useUi } from '../../stores/ui.ts'
import { attach } from './store.ts'

/**
 * "Debug this task", in a task's detail: opens the debugger on a worker process of the task's type in
 * a drone this console runs on the task's connection (restarted with the inspector), with the task
 * ready to be sent again once the breakpoints are set. That drone sends every task of the type to the
 * debugged process while the session is open, so the copy runs there whatever `processes` is.
 */
export function DebugTaskButton({ connectionId, task }: { connectionId: string; task: Task }) {
  const go = useUi((s) => s.go)
  const droneId = useDrones((items) => items.find((d) => d.connectionId === connectionId && d.state === 'running' && d.processes.some((p) => p.type === task.type))?.id).data
  return (
    <button
      type="button"
      className="btn small"
      disabled={!droneId}
      title={droneId ? 'Open the debugger on a worker of this type, then run this task again under it (the drone sends the type\'s tasks to the debugged process until you detach)' : `No drone of this console serves ${task.type} on this connection: start one in Drones, or use Replay… with debugger (a scratch process, nothing written to the queue)`}
      onClick={() => {
        if (!droneId) return
        void attach({ droneId, type: task.type }, { connectionId, id: task.id, type: task.type, state: task.state, payload: task.payload })
        go('debugger')
      }}
      data-testid="task-debug"
    >
      Debug this task
    </button>
  )
}
