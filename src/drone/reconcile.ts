import type { Ledger } from './ledger.ts'

export const RESTARTED_ERROR = 'drone restarted while the task ran'

/**
 * Before claiming anything new, settles what a previous run of this drone (same local queue) left:
 * computed outcomes are sent, unstarted tasks are handed back without using an attempt, and tasks
 * that were running when the drone died fail their attempt (retry rules apply). Every completion is
 * fenced: where the lease was lost meanwhile (rescued by another drone), the queue refuses it and
 * the task is already back in the queue or done elsewhere. Resolves when all are acknowledged.
 */
export async function reconcile(ledger: Ledger, sent: () => Promise<void>): Promise<{ resent: number; handedBack: number; failed: number }> {
  const tasks = ledger.list()
  if (tasks.length === 0) return { resent: 0, handedBack: 0, failed: 0 }
  const resent = ledger.resendStored()
  let handedBack = 0
  let failed = 0
  for (const t of tasks) {
    if (t.state === 'started') {
      if (ledger.fail(t, { message: RESTARTED_ERROR }, false, {})) failed++
    } else if (t.state !== 'done') {
      if (ledger.handback(t)) handedBack++
    }
  }
  await sent()
  return { resent, handedBack, failed }
}
