/**
 * The Activity view in a real browser (issue #10): an action taken in the page shows up with who
 * took it (the token and the client's address), and a line made elsewhere (the desktop's IPC) arrives
 * live while the view is open.
 */
import { describe, expect, it } from 'vitest'
import { EMBEDDED_ID } from '../../src/api/service.ts'
import { T, enqueue, nav } from './flows.ts'
import { consoleSession } from './session.ts'

describe('console e2e: Activity', () => {
  const s = consoleSession('swarmage-e2e-activity-')

  it('lists the page\'s own action with its token actor, and a pushed IPC line live', async () => {
    await nav(s.page, 'activity')
    await s.page.getByTestId('activity-empty').waitFor({ timeout: T })
    await enqueue(s.page, 'audited', '{"n":1}')
    await nav(s.page, 'activity')
    const rows = s.page.getByTestId('activity-row')
    await rows.first().waitFor({ timeout: T })
    expect(await rows.first().getAttribute('data-action')).toBe('tasks.enqueue')
    expect(await rows.first().textContent()).toMatch(/token 127\.0\.0\.1.*tasks\.enqueue.*type=audited.*ok/)

    await s.console.service.handle('tasks.demo', { connectionId: EMBEDDED_ID, count: 2 }, { via: 'ipc' })
    await expect.poll(() => rows.count(), { timeout: T }).toBe(2)
    expect(await rows.first().textContent()).toMatch(/ipc.*tasks\.demo.*count=2/)
    expect(s.errors).toEqual([])
  })
})
