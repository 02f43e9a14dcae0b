/**
 * "Why isn't this running?" in the console (issue #12, item 3), in a real browser against the real
 * console service, an SQLite queue, a drone and its worker processes: the task detail's panel says no
 * drone serves the type and the Flow view warns unasked; once a drone serves it, the same open panel
 * follows the task (held by the drone, then how it ended) without being reopened; what the handler
 * prints shows in the detail's logs while it still runs (captured output, item 4).
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { T, addSqliteConnection, addWorker, enqueue, nav, openTaskFromEnqueue, startDrone, waitTaskState } from './flows.ts'
import { screenshot } from './harness.ts'
import { consoleSession } from './session.ts'

describe('console e2e: why is a task not running', () => {
  const s = consoleSession('swarmage-e2e-why-', { colorScheme: 'dark', acceptDialogs: true, timeout: 180_000 })

  it('explains a waiting task live, and warns in Flow about a type no drone serves', async () => {
    const connectionId = await addSqliteConnection(s.page, 'why', join(s.tmp.dir, 'queue.db'))
    await s.page.getByTestId('connection-use-why').click()

    const id = await enqueue(s.page, 'lonely', '{"holdMs": 8000, "print": "printed by the handler"}')
    await openTaskFromEnqueue(s.page, id)
    const reason = (code: string) => s.page.locator(`[data-testid="task-why-reason"][data-code="${code}"]`)
    await reason('no-drone').waitFor({ timeout: T })
    expect(await reason('no-drone').textContent()).toContain('no live drone serves type lonely (no drone is live)')
    await screenshot(s.page, 'task-why')

    await nav(s.page, 'flow')
    const warning = s.page.getByTestId('flow-unserved-lonely')
    await warning.waitFor({ timeout: T })
    expect(await warning.textContent()).toMatch(/lonely: 1 queued on why, and no live drone serves this type/)

    // A drone for the type: the warning goes, and the task detail (still open) follows the task.
    await addWorker(s.page, 'lonely', 1)
    await startDrone(s.page, connectionId, 'why-drone')
    await nav(s.page, 'flow')
    await expect.poll(() => s.page.getByTestId('flow-unserved-lonely').count(), { timeout: T }).toBe(0)
    await nav(s.page, 'tasks')
    await s.page.locator(`[data-testid="task-detail"][data-id="${id}"]`).waitFor({ timeout: T })
    await reason('held-by-drone').waitFor({ timeout: T })
    expect(await reason('held-by-drone').textContent()).toMatch(/held by drone why-drone \(attempt 1 of 5, lease expires in .+, last heartbeat .+ ago\)/)
    // Captured output, shown while the task still runs (the detail re-reads a running task).
    const printed = s.page.locator('[data-testid="task-logs"] li[data-stream="stdout"]')
    await printed.waitFor({ timeout: T })
    expect(await printed.textContent()).toMatch(/stdout printed by the handler$/)
    expect(await s.page.getByTestId('task-detail').getAttribute('data-state')).toBe('running')
    await waitTaskState(s.page, id, 'succeeded')
    await reason('succeeded').waitFor({ timeout: T })
    expect(await reason('succeeded').textContent()).toMatch(/succeeded on drone why-drone at .* after 1 attempt$/)
    expect(s.errors).toEqual([])
  }, 180_000)
})
