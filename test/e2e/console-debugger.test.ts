/**
 * The console's debugger in Chromium, against a real drone and worker process on an SQLite queue:
 * from Workers, Debug a process; set a breakpoint by clicking a line of the worker module; send a task
 * from the Enqueue form; see the console paused on that line with the locals' values, evaluate an
 * expression, step, resume, and see the task succeed. Then "Debug this task" from its detail sends a
 * copy that stops on the same breakpoint; a restarted process closes the session and "Attach again"
 * restores its breakpoints; Debug on the worker definition stops the next task of its type; and
 * Replay in a task's detail runs it with an edited payload without touching the queue, and "with
 * debugger" opens the Debugger paused before the handler, stops at a breakpoint set in the worker
 * module, and shows the replay's result once resumed — the queue still untouched.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EMBEDDED_ID } from '../../src/api/service.ts'
import { T, enqueue, nav, waitTaskState } from './flows.ts'
import { ROOT, screenshot } from './harness.ts'
import { consoleSession } from './session.ts'

const MODULE = join(ROOT, 'test/e2e/fixtures/debuggee.mjs')
const REPLAYEE = join(ROOT, 'test/e2e/fixtures/replayee.mjs')
/** 1-based, as the editor numbers lines. */
const lineOf = (marker: string) => readFileSync(MODULE, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1
const BREAK = lineOf('BREAK')
const replayeeLine = (marker: string) => readFileSync(REPLAYEE, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1
const HANDLER_START = replayeeLine("ctx.log.info('replaying'")
const RETURN = replayeeLine('// RETURN')
const OVER = lineOf('STEP-OVER')

describe('console debugger e2e', () => {
  const s = consoleSession('swarmage-e2e-debugger-', {
    colorScheme: 'dark',
    started: async (consoleHandle) => {
      const def = await consoleHandle.service.call('workers.save', { type: 'dbg', module: MODULE, watch: false })
      await consoleHandle.service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'drone-dbg' })
    },
  })

  const debuggerState = (state: string) => s.page.locator(`[data-testid="debugger"][data-state="${state}"]`).waitFor({ timeout: 30_000 })
  const pausedLine = async () => Number(await s.page.getByTestId('debug-source').getAttribute('data-paused-line'))
  /**
   * A replay with the debugger answers once its scratch process is paused before the handler: on a
   * loaded CI machine that is a process start, a module load and a CDP attach, so the server's own
   * limits (60 s) bound the wait, not the page's default; a refused replay fails with its reason.
   */
  const replayUnderDebugger = async () => {
    const paused = s.page.locator('[data-testid="view-debugger"] [data-testid="debugger"][data-state="paused"]')
    await paused.or(s.page.getByTestId('replay-error')).first().waitFor({ timeout: 60_000 })
    expect(await s.page.getByTestId('replay-error').allTextContents()).toEqual([])
  }
  const variable = (scope: string, name: string) => s.page.locator(`[data-testid="debug-scope-${scope}"] [data-testid="debug-var"][data-name="${name}"] [data-testid="debug-var-value"]`).first()

  it('breaks on a line clicked in the worker module, shows the locals, evaluates, steps, resumes; the task succeeds', async () => {
    await nav(s.page, 'workers')
    const row = s.page.locator('[data-testid^="process-row-"][data-type="dbg"]').first()
    await row.waitFor({ timeout: T })
    await row.getByTestId('process-debugger').click()
    await s.page.getByTestId('view-debugger').waitFor()
    await debuggerState('running')
    expect(await s.page.getByTestId('inspect-url').textContent()).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//)
    // The worker module is the script shown first, its source read from the process.
    expect(await s.page.getByTestId('debug-script').locator('option:checked').textContent()).toBe('debuggee.mjs (worker module)')
    await expect.poll(() => s.page.locator('.debug-source .cm-content').textContent(), { timeout: T }).toContain('export default async function debuggee')

    await s.page.locator('.debug-source .cm-lineNumbers .cm-gutterElement', { hasText: new RegExp(`^${BREAK}$`) }).click()
    await expect.poll(() => s.page.locator('.debug-source .cm-breakpoint-dot').count(), { timeout: T }).toBe(1)

    const id = await enqueue(s.page, 'dbg', '{"n": 21}')
    await nav(s.page, 'debugger')
    await debuggerState('paused')
    expect(await pausedLine()).toBe(BREAK)
    expect(await s.page.getByTestId('debug-status').textContent()).toBe(`paused (breakpoint) at debuggee.mjs:${BREAK}`)
    expect(await s.page.getByTestId('debug-frame').first().textContent()).toContain('debuggee')
    await expect.poll(() => variable('local', 'n').textContent(), { timeout: T }).toBe('21')
    expect(await variable('local', 'label').textContent()).toBe('"n=21"')
    await screenshot(s.page, 'debugger')

    await s.page.getByTestId('debug-expression').fill('n * 100 + label.length')
    await s.page.getByTestId('debug-evaluate').click()
    await expect.poll(() => s.page.getByTestId('debug-result').first().textContent(), { timeout: T }).toContain('→ 2104')

    await s.page.getByTestId('debug-step-over').click()
    await expect.poll(pausedLine, { timeout: T }).toBe(OVER)
    await expect.poll(() => variable('local', 'doubled').textContent(), { timeout: T }).toBe('42')

    await s.page.getByTestId('debug-resume').click()
    await debuggerState('running')
    await nav(s.page, 'tasks')
    await s.page.locator(`[data-testid="task-row"][data-id="${id}"]`).click({ timeout: T })
    await waitTaskState(s.page, id, 'succeeded')
    const task = await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id })
    expect(task.task.result).toEqual({ doubled: 42, label: 'n=21' })
  })

  it('debugs a task from its detail: a copy is sent and stops on the breakpoint', async () => {
    await s.page.getByTestId('task-debug').click()
    await s.page.getByTestId('view-debugger').waitFor()
    await s.page.getByTestId('debug-task').waitFor({ timeout: T })
    // The process's session is joined, with the breakpoint set earlier.
    await expect.poll(() => s.page.locator('.debug-source .cm-breakpoint-dot').count(), { timeout: T }).toBe(1)
    await s.page.getByTestId('debug-task-send').click()
    await debuggerState('paused')
    expect(await pausedLine()).toBe(BREAK)
    await expect.poll(() => variable('local', 'n').textContent(), { timeout: T }).toBe('21')
    const copy = await s.page.getByTestId('debug-task-sent').getAttribute('data-id')
    expect(copy).toBeTruthy()
    await s.page.getByTestId('debug-resume').click()
    await debuggerState('running')
    await s.page.getByTestId('debug-task-sent').click()
    await waitTaskState(s.page, copy!, 'succeeded')
  })

  it('shows the session closed when its process is restarted, and attaches again with the breakpoints kept', async () => {
    await nav(s.page, 'workers')
    await s.page.locator('[data-testid^="process-row-"][data-type="dbg"]').first().getByTestId('process-restart').click()
    await nav(s.page, 'debugger')
    await debuggerState('closed')
    expect(await s.page.getByTestId('debug-status').textContent()).toMatch(/^closed: /)
    await s.page.getByTestId('debug-reattach').click()
    await debuggerState('running')
    await expect.poll(() => s.page.locator('.debug-source .cm-breakpoint-dot').count(), { timeout: T }).toBe(1)
    await s.console.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'dbg', payload: { n: 5 } })
    await debuggerState('paused')
    await expect.poll(() => variable('local', 'n').textContent(), { timeout: T }).toBe('5')
    await s.page.getByTestId('debug-detach').click()
    await s.page.getByTestId('debug-empty').waitFor({ timeout: T })
    // Detaching resumed the process: the task finishes.
    await expect.poll(async () => (await s.console.service.call('tasks.list', { connectionId: EMBEDDED_ID, state: 'succeeded', type: 'dbg' })).tasks.length, { timeout: 30_000 }).toBe(3)
  })

  it('debugs the next task of a type from its worker definition', async () => {
    await nav(s.page, 'workers')
    await s.page.getByTestId('worker-debug-dbg').click()
    await debuggerState('running')
    await expect.poll(() => s.page.locator('.debug-source .cm-content').textContent(), { timeout: T }).toContain('export default async function debuggee')
    // The detached session's breakpoints went with it: this one starts with none.
    expect(await s.page.locator('.debug-source .cm-breakpoint-dot').count()).toBe(0)
    await s.page.locator('.debug-source .cm-lineNumbers .cm-gutterElement', { hasText: new RegExp(`^${OVER}$`) }).click()
    await expect.poll(() => s.page.locator('.debug-source .cm-breakpoint-dot').count(), { timeout: T }).toBe(1)
    await s.console.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'dbg', payload: { n: 4 } })
    await debuggerState('paused')
    expect(await pausedLine()).toBe(OVER)
    await expect.poll(() => variable('local', 'doubled').textContent(), { timeout: T }).toBe('8')
    await s.page.getByTestId('debug-resume').click()
    await debuggerState('running')
    await expect.poll(async () => (await s.console.service.call('tasks.list', { connectionId: EMBEDDED_ID, state: 'succeeded', type: 'dbg' })).tasks.length, { timeout: 30_000 }).toBe(4)
  })

  it('replays a task from its detail with an edited payload: live logs, would-enqueue, the result; the queue unchanged', async () => {
    await s.console.service.call('workers.save', { type: 'rp', module: REPLAYEE, watch: false })
    // No drone serves rp: the task stays queued, and only the replay runs it.
    const { id } = await s.console.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 1 } })
    const before = await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id })
    const stats = await s.console.service.call('queue.stats', { connectionId: EMBEDDED_ID })
    await nav(s.page, 'tasks')
    await s.page.locator(`[data-testid="task-row"][data-id="${id}"]`).click({ timeout: T })
    await s.page.locator(`[data-testid="task-detail"][data-id="${id}"]`).waitFor({ timeout: T })
    await s.page.getByTestId('task-replay').click()
    await s.page.getByTestId('replay-payload').fill('{"n": 3, "children": 1}')
    await s.page.getByTestId('replay-run').click()
    await s.page.locator('[data-testid="replay-events"][data-done="succeeded"]').waitFor({ timeout: 30_000 })
    expect(await s.page.getByTestId('replay-would-enqueue').textContent()).toBe('would enqueue child {"i":0}')
    expect(await s.page.locator('[data-testid="replay-events"] li[data-kind="log"]').first().textContent()).toContain('[info] replaying')
    const shown = JSON.parse((await s.page.getByTestId('replay-result').textContent()) ?? '') as { n: number; childIds: string[] }
    // the made-up id the handler was given: no task has it
    expect(shown).toEqual({ n: 3, childIds: [expect.any(String) as string] })
    await screenshot(s.page, 'replay')
    expect(await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).toEqual(before)
    // the replayed type's counts, and no child type (the drones' heartbeats and other tests' types move on)
    const after = (await s.console.service.call('queue.stats', { connectionId: EMBEDDED_ID })).types
    expect(after.rp).toEqual(stats.types.rp)
    expect(after.child).toBeUndefined()
    expect((await s.console.service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'child' })).total).toBe(0)
    expect(s.errors).toEqual([])
  })

  it('replays a task "with debugger" from its detail: paused before the handler, a breakpoint set in the module, the result; the queue unchanged', async () => {
    // rp has a definition (the test above) and no drone: the task stays queued, only the replay runs it.
    const { id } = await s.console.service.call('tasks.enqueue', { connectionId: EMBEDDED_ID, type: 'rp', payload: { n: 2, children: 1 } })
    const before = await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id })
    const stats = (await s.console.service.call('queue.stats', { connectionId: EMBEDDED_ID })).types
    await nav(s.page, 'tasks')
    await s.page.locator(`[data-testid="task-row"][data-id="${id}"]`).click({ timeout: T })
    await s.page.locator(`[data-testid="task-detail"][data-id="${id}"]`).waitFor({ timeout: T })
    await s.page.getByTestId('task-replay').click()
    await s.page.getByTestId('replay-debug').check()
    await s.page.getByTestId('replay-run').click()

    // The Debugger opens on the replay's process, paused at the handler's first line in the worker module, before it runs.
    await replayUnderDebugger()
    await debuggerState('paused')
    expect(await s.page.getByTestId('debug-status').textContent()).toBe(`paused at the start of the handler, replayee.mjs:${HANDLER_START}: set breakpoints, then Resume or step`)
    expect(await pausedLine()).toBe(HANDLER_START)
    await expect.poll(() => variable('local', 'payload').textContent(), { timeout: T }).toBe('Object')
    // The session outlives the page: after a reload the Debugger offers to join it, still paused there.
    await s.page.reload()
    // (the dbg process's session from the tests above is live too)
    await s.page.locator('[data-testid="debug-session"]', { hasText: `replay of task ${id}` }).getByTestId('debug-session-join').click({ timeout: T })
    await debuggerState('paused')
    expect(await pausedLine()).toBe(HANDLER_START)
    expect(await s.page.getByTestId('inspect-url').textContent()).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//)
    expect(await s.page.getByTestId('debug-script').locator('option:checked').textContent()).toBe('replayee.mjs (worker module)')
    await expect.poll(() => s.page.locator('.debug-source .cm-content').textContent(), { timeout: T }).toContain('export default async function replayee')
    // Held before the handler: no log line yet.
    expect(await s.page.locator('[data-testid="debug-replay"] li[data-kind="log"]').count()).toBe(0)

    await s.page.locator('.debug-source .cm-lineNumbers .cm-gutterElement', { hasText: new RegExp(`^${RETURN}$`) }).click()
    await expect.poll(() => s.page.locator('.debug-source .cm-breakpoint-dot').count(), { timeout: T }).toBe(1)
    await s.page.getByTestId('debug-resume').click()
    await expect.poll(pausedLine, { timeout: T }).toBe(RETURN)
    expect(await s.page.getByTestId('debug-status').textContent()).toBe(`paused (breakpoint) at replayee.mjs:${RETURN}`)
    await expect.poll(() => variable('local', 'posted').textContent(), { timeout: T }).toBe('1')
    await s.page.getByTestId('debug-expression').fill('payload.n * 10 + posted')
    await s.page.getByTestId('debug-evaluate').click()
    await expect.poll(() => s.page.getByTestId('debug-result').first().textContent(), { timeout: T }).toContain('→ 21')
    // The handler ran up to here: its log line and its postback are shown, the postback not enqueued.
    await expect.poll(() => s.page.locator('[data-testid="debug-replay"] li[data-kind="log"]').first().textContent(), { timeout: T }).toContain('[info] replaying')
    expect(await s.page.locator('[data-testid="debug-replay"] [data-testid="replay-would-enqueue"]').textContent()).toBe('would enqueue child {"i":0}')
    await screenshot(s.page, 'replay-debugger')

    await s.page.getByTestId('debug-resume').click()
    await s.page.locator('[data-testid="debug-replay"] [data-testid="replay-events"][data-done="succeeded"]').waitFor({ timeout: 30_000 })
    const shown = JSON.parse((await s.page.locator('[data-testid="debug-replay"] [data-testid="replay-result"]').textContent()) ?? '') as unknown
    expect(shown).toEqual({ n: 2, childIds: [expect.any(String) as string] })
    // The scratch process exits once done, closing the session; a replay cannot be attached again.
    await debuggerState('closed')
    expect(await s.page.getByTestId('debug-reattach').count()).toBe(0)

    // Nothing was written: the task's row, its type's counts, no child task.
    expect(await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).toEqual(before)
    const after = (await s.console.service.call('queue.stats', { connectionId: EMBEDDED_ID })).types
    expect(after.rp).toEqual(stats.rp)
    expect(after.child).toBeUndefined()
    expect((await s.console.service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'child' })).total).toBe(0)

    // The same from the Debugger view, by the task's id: "with debugger" is ticked there.
    await s.page.getByTestId('debug-replay-id').fill(id)
    await s.page.getByTestId('debug-replay-load').click()
    expect(await s.page.getByTestId('replay-debug').isChecked()).toBe(true)
    await s.page.getByTestId('replay-run').click()
    await replayUnderDebugger()
    await debuggerState('paused')
    await expect.poll(pausedLine, { timeout: T }).toBe(HANDLER_START)
    await s.page.getByTestId('debug-resume').click()
    await s.page.locator('[data-testid="debug-replay"] [data-testid="replay-events"][data-done="succeeded"]').waitFor({ timeout: 30_000 })
    expect(await s.console.service.call('tasks.get', { connectionId: EMBEDDED_ID, id })).toEqual(before)
    expect((await s.console.service.call('tasks.list', { connectionId: EMBEDDED_ID, type: 'child' })).total).toBe(0)
    expect(s.errors).toEqual([])
  })
})
