import type { Completion } from '../core/task.ts'
import type { Completer } from './completer.ts'
import type { DroneContext } from './context.ts'
import type { LocalTask } from './local-queue.ts'
import type { TaskFlow } from './task-flow.ts'

export const RESTARTED_ERROR = 'drone restarted while the task ran'

/**
 * Before claiming anything new, settles what a previous run of this drone (same local queue) left:
 * computed outcomes are sent, unstarted tasks are handed back without using an attempt, and tasks
 * that were running when the drone died fail their attempt (retry rules apply). Every completion is
 * fenced: where the lease was lost meanwhile (rescued by another drone), the queue refuses it and
 * the task is already back in the queue or done elsewhere. Resolves when all are acknowledged.
 */
export async function reconcile(
  ctx: DroneContext,
  flow: TaskFlow,
  completer: Completer,
): Promise<{ resent: number; handedBack: number; failed: number }> {
  const tasks = ctx.local.taskList()
  if (tasks.length === 0) return { resent: 0, handedBack: 0, failed: 0 }
  const resend: Completion[] = []
  const failures: Array<{ task: LocalTask; completion: Completion }> = []
  const unstarted: LocalTask[] = []
  for (const t of tasks) {
    if (t.state === 'done') {
      if (t.completion) resend.push(t.completion)
    } else if (t.state === 'started') {
      failures.push({ task: t, completion: flow.failure(t, { message: RESTARTED_ERROR }, false, { pid: t.pid, startedAt: t.startedAt }) })
    } else {
      unstarted.push(t)
    }
  }
  completer.add(resend)
  flow.failMany(failures)
  flow.handbackMany(unstarted)
  await completer.idle()
  return { resent: resend.length, handedBack: unstarted.length, failed: failures.length }
}
