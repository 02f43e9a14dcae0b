import { shortId } from '../../lib/format.ts'
import { taskHref } from '../../router/routes.ts'

/** A task id linking to its detail in its own queue (`#/tasks/ID?connection=C`): a plain link, so it can be copied too. */
export function TaskLink({ id, connectionId }: { id: string; connectionId: string }) {
  return (
    <a className="link mono" href={taskHref(connectionId, id)} title={id}>
      {shortId(id)}
    </a>
  )
}
