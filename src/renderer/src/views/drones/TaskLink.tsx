import { shortId } from '../../lib/format.ts'
import { useUi } from '../../stores/ui.ts'

/** A task id that opens the task's detail (the one place these views know how a task is opened). */
export function TaskLink({ id }: { id: string }) {
  const openTask = useUi((s) => s.openTask)
  return (
    <button type="button" className="link mono" onClick={() => openTask(id)} title={id}>
      {shortId(id)}
    </button>
  )
}
