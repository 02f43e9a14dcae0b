/**
 * The console's debugger in Chromium with a worker definition of 3 processes (real drone, SQLite
 * queue): "Debug this task" from a task's detail and Debug on the definition both get their tasks to
 * the debugged process (the drone routes the type there while the session is open), so the copy and
 * every next task stop at the breakpoint — without the routing, the least-loaded dispatch would send
 * most of them to the other two processes, which have no debugger.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EMBEDDED_ID } from '../../src/api/service.ts'
import { T, nav, waitTaskState } from './flows.ts'
import { ROOT } from './harness.ts'
import { consoleSession } from './session.ts'

const MODULE = join(ROOT, 'test/e2e/fixtures/debuggee.mjs')
/** 1-based, as the editor numbers lines. */
const BREAK = readFileSync(MODULE, 'utf8').split('\n').findIndex((l) => l.includes('BREAK')) + 1

describe('console debugger e2e, 3 processes', () => {
  const s = consoleSession('swarmage-e2e-debugger3-', {
    started: async (consoleHandle) => {
      const def = await consoleHandle.service.call('workers.save', { type: 'dbg3', module: MODULE, watch: false, processes: 3 })
      await consoleHandle.service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'drone-dbg3' })
    },
  })

  const debuggerState = (state: string) => s.page.locator(`[data-testid="debugger"][data-state="${state}"]`).waitFor({ timeout: 30_000 })
  const pausedLine = async () => Number(await s.page.getByTestId('debug-source').getAttribute('data-paused-line'))
  const N = '[data-testid="debug-scope-local"] [data-testid="debug-var"][data-name="n"] [data-testid="debug-var-value"]'
  const n = () => s.page.locator(N).first().textContent()
  const setBreakpoint = async () => {
    await expect.poll(() => s.page.locator('.debug-source .cm-content').textContent(), { timeout: T }).toContain('export default async function debuggee')
    await s.page.locator('.debug-source .cm-lineNumbers .cm-gutterElement', { hasText: new RegExp(`^${BREAK}$`) }).click()
    await expect.poll(() => s.page.locator('.debug-source .cm-breakpoint-dot').count(), { timeout: T }).toBe(1)
  }
  const state = async (id: string) => (await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).task.state

  it('"Debug this task" sends a copy that stops in the debugged process, not the first idle one', async () => {
    const { id } = await s.console.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'dbg3', payload: { n: 7 } })
    await expect.poll(() => state(id), { timeout: 30_000 }).toBe('succeeded')
    // The debugger goes on the third process (a session on a named process routes nothing); the
    // first, idle, is where the least-loaded dispatch would send the copy.
    await nav(s.page, 'workers')
    await s.page.getByTestId('process-row-dbg3#3').getByTestId('process-debugger').click({ timeout: T })
    await debuggerState('running')
    expect(await s.page.getByTestId('debug-routed').count()).toBe(0)
    await s.page.getByTestId('debug-detach').click()
    await s.page.getByTestId('debug-empty').waitFor({ timeout: T })

    await nav(s.page, 'tasks')
    await s.page.locator(`[data-testid="task-row"][data-id="${id}"]`).click({ timeout: T })
    await s.page.getByTestId('task-debug').click({ timeout: T })
    await s.page.getByTestId('debug-task').waitFor({ timeout: T })
    await debuggerState('running')
    // The process with the inspector on already is the one debugged, and the type routed to it.
    expect(await s.page.getByTestId('debug-head').textContent()).toContain('process dbg3#3')
    await s.page.getByTestId('debug-routed').waitFor({ timeout: T })
    await setBreakpoint()
    await s.page.getByTestId('debug-task-send').click()
    await debuggerState('paused')
    expect(await pausedLine()).toBe(BREAK)
    await expect.poll(n, { timeout: T }).toBe('7')
    const copy = await s.page.getByTestId('debug-task-sent').getAttribute('data-id')
    await s.page.getByTestId('debug-resume').click()
    await debuggerState('running')
    await s.page.getByTestId('debug-task-sent').click()
    await waitTaskState(s.page, copy!, 'succeeded')
    await nav(s.page, 'debugger')
    await s.page.getByTestId('debug-detach').click()
    await s.page.getByTestId('debug-empty').waitFor({ timeout: T })
  })

  it('Debug on the definition: every next task of the type stops at the breakpoint, one after another', async () => {
    await nav(s.page, 'workers')
    await s.page.getByTestId('worker-debug-dbg3').click()
    await debuggerState('running')
    await s.page.getByTestId('debug-routed').waitFor({ timeout: T })
    await setBreakpoint()
    const { ids } = await s.console.service.call('tasks.enqueueMany', {
      connectionId: EMBEDDED_ID,
      tasks: [1, 2, 3, 4].map((i) => ({ type: 'dbg3', payload: { n: i } })),
    })
    // A next task may pause right after a resume (it waits in the same process): each pause is told
    // from the last by its n, not by a 'running' state in between that can be too short to see.
    const seen: string[] = []
    const newPause = async () => {
      if ((await s.page.getByTestId('debugger').getAttribute('data-state')) !== 'paused') return null
      const v = (await s.page.locator(N).allTextContents())[0]
      return v !== undefined && !seen.includes(v) ? v : null
    }
    for (let i = 0; i < ids.length; i++) {
      await expect.poll(newPause, { timeout: 30_000 }).not.toBeNull()
      expect(await pausedLine()).toBe(BREAK)
      seen.push((await newPause())!)
      await s.page.getByTestId('debug-resume').click()
    }
    await debuggerState('running')
    expect(seen.sort()).toEqual(['1', '2', '3', '4'])
    for (const id of ids) await expect.poll(() => state(id), { timeout: 30_000 }).toBe('succeeded')
    await s.page.getByTestId('debug-detach').click()
    await s.page.getByTestId('debug-empty').waitFor({ timeout: T })
    expect(s.errors).toEqual([])
  })
})
