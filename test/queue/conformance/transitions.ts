import { describe, expect, it } from 'vitest'
import { TRANSITIONS, type ClaimedTask, type TaskState } from '../../../src/core/task.ts'
import { leaseExpiredMessage } from '../../../src/queue/maintenance.ts'
import { type Harness } from './harness.ts'

const SHORT = 40

/**
 * The driver's primitives against the one transitions table (TRANSITIONS in src/core/task.ts): for
 * every row and every state it names as `from`, a task is brought to that state, the primitive that
 * makes the move runs, and the task must end in the row's `to`. A row without a primitive here, or a
 * primitive that lands elsewhere, fails the suite on every backend.
 */
export function transitionCases(h: Harness): void {
  /** A fresh task of `type` in `state`, made the way the queue makes it; its claim when it is running. */
  async function reach(type: string, state: TaskState, maxAttempts: number, leaseMs?: number): Promise<{ id: string; claim: ClaimedTask | null }> {
    const id = await h.insert(type, {}, { maxAttempts })
    if (state === 'queued') return { id, claim: null }
    if (state === 'cancelled') {
      await h.d.taskCancel({ id })
      return { id, claim: null }
    }
    const claim = await h.claimOne(type, leaseMs)
    if (state === 'succeeded') await h.succeed(claim)
    if (state === 'failed') await h.fail(claim, null)
    return { id, claim }
  }

  /** Runs the primitive behind a row of TRANSITIONS on a task in one of its `from` states. */
  const moves: Record<string, { maxAttempts: number; leaseMs?: number; run: (id: string, claim: ClaimedTask | null, type: string) => Promise<unknown> }> = {
    claim: { maxAttempts: 3, run: (_id, _c, type) => h.claimOne(type) },
    succeed: { maxAttempts: 3, run: (_id, c) => h.succeed(c!) },
    retry: { maxAttempts: 3, run: (_id, c) => h.fail(c!, 0) },
    fail: { maxAttempts: 3, run: (_id, c) => h.fail(c!, null) },
    handback: { maxAttempts: 3, run: (_id, c) => h.complete(c!, { kind: 'handback' }) },
    leaseExpired: { maxAttempts: 3, leaseMs: SHORT, run: (id) => rescue(id, 'requeued') },
    leaseExpiredExhausted: { maxAttempts: 1, leaseMs: SHORT, run: (id) => rescue(id, 'failed') },
    cancel: { maxAttempts: 3, run: (id) => h.d.taskCancel({ id }) },
    manualRetry: { maxAttempts: 1, run: (id) => h.d.taskRetry({ id }) },
  }

  async function rescue(id: string, as: 'requeued' | 'failed'): Promise<void> {
    const t0 = await h.dbNow() // after the claim: its lease started before this reading
    await h.clockPast(t0, SHORT)
    const done = await h.d.taskRescue({ graceMs: 0, limit: 10 })
    expect(done[as]).toEqual([id])
    // The words of the shared layer (src/queue/maintenance.ts), on the task and on its attempt.
    const task = (await h.d.taskGet({ id }))!
    expect(task.error!.message).toBe(leaseExpiredMessage('drone-one', task.attempts))
    expect((await h.d.taskAttemptList({ id })).at(-1)).toMatchObject({ outcome: 'lease-expired', drone: 'drone-one', error: { message: task.error!.message } })
  }

  describe('transitions table', () => {
    it('has a primitive for every row of TRANSITIONS', () => {
      expect(Object.keys(moves).sort()).toEqual(Object.keys(TRANSITIONS).sort())
    })

    for (const [name, row] of Object.entries(TRANSITIONS)) {
      for (const from of row.from) {
        it(`${name}: ${from} → ${row.to}`, async () => {
          const move = moves[name]!
          const type = `tr-${name}-${from}`
          const { id, claim } = await reach(type, from, move.maxAttempts, move.leaseMs)
          expect(await h.state(id)).toBe(from)
          await move.run(id, claim, type)
          expect(await h.state(id)).toBe(row.to)
        })
      }
    }
  })
}
