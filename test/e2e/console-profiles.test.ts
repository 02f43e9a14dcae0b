/**
 * Profiles in Chromium, against a real drone and worker process on the embedded SQLite queue: from the
 * Profiles view, profile the next 20 tasks of a type; send 20 tasks; see the flame graph with the
 * worker module's function names and download a .cpuprofile that parses as one; a covered task's
 * detail links back to it; Profile on a worker definition starts one for the type, and Stop ends it; a heap snapshot from a worker process row downloads as JSON with
 * `snapshot` and `nodes`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { EMBEDDED_ID } from '../../src/api/service.ts'
import { T, nav } from './flows.ts'
import { ROOT, screenshot } from './harness.ts'
import { consoleSession } from './session.ts'

const MODULE = join(ROOT, 'test/debug/fixtures/crunch.mjs')

async function download(page: Page, click: () => Promise<void>, dir: string, name: string): Promise<{ text: string; suggested: string }> {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), click()])
  const path = join(dir, name)
  await d.saveAs(path)
  return { text: readFileSync(path, 'utf8'), suggested: d.suggestedFilename() }
}

describe('console profiles e2e', () => {
  const s = consoleSession('swarmage-e2e-profiles-', {
    started: async (consoleHandle) => {
      const def = await consoleHandle.service.call('workers.save', { type: 'crunch', module: MODULE, watch: false })
      await consoleHandle.service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id], name: 'drone-prof' })
    },
  })

  it('profiles the next 20 tasks from the console, draws the flame graph, downloads the .cpuprofile, links the tasks', async () => {
    await nav(s.page, 'profiles')
    await s.page.getByTestId('profile-form').waitFor({ timeout: T })
    expect(await s.page.getByTestId('profile-target').locator('option:checked').textContent()).toBe('crunch (every process)')
    expect(await s.page.getByTestId('profile-form').textContent()).toContain('each profiles until the type has covered N tasks in all')
    await s.page.getByTestId('profile-tasks').fill('20')
    await s.page.getByTestId('profile-start').click()
    const row = s.page.locator('[data-testid^="profile-row-"][data-kind="cpu"]').first()
    await row.waitFor({ timeout: T })
    expect(await row.getAttribute('data-state')).toBe('running')
    await s.page.getByTestId('profile-running').waitFor({ timeout: T })

    const { ids } = await s.console.service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks: Array.from({ length: 20 }, () => ({ type: 'crunch', payload: { ms: 5 } })) })
    await s.page.locator('[data-testid^="profile-row-"][data-kind="cpu"][data-state="ready"]').waitFor({ timeout: 60_000 })
    expect(await row.getByTestId('profile-covered').textContent()).toBe('20 / 20')

    // The flame graph, drawn from the stored profile, names the worker module's functions.
    const graph = s.page.getByTestId('flame-graph')
    await graph.locator('svg').waitFor({ timeout: T })
    await expect.poll(() => graph.locator('svg').textContent(), { timeout: T }).toContain('crunchPrimesForProfile')
    expect(await s.page.getByTestId('profile-top').textContent()).toContain('crunchPrimesForProfile')
    expect(await s.page.getByTestId('profile-tasks').locator('button').count()).toBe(20)
    await s.page.getByTestId('flame-search').fill('crunchPrimes')
    await screenshot(s.page, 'profiles')

    const { text, suggested } = await download(s.page, () => row.getByTestId('profile-download').click(), s.tmp.dir, 'got.cpuprofile')
    expect(suggested).toMatch(/^crunch-crunch_1-.*\.cpuprofile$/)
    const profile = JSON.parse(text) as { nodes: Array<{ callFrame: { functionName: string } }>; samples: number[]; startTime: number; endTime: number }
    expect(profile.samples.length).toBeGreaterThan(0)
    expect(profile.endTime).toBeGreaterThan(profile.startTime)
    expect(profile.nodes.map((n) => n.callFrame.functionName)).toContain('crunchPrimesForProfile')

    // A covered task's detail links to the profile.
    await s.page.getByTestId('profile-tasks').locator('button').first().click()
    await s.page.getByTestId('view-tasks').waitFor()
    const detail = s.page.getByTestId('task-detail')
    await detail.waitFor({ timeout: T })
    expect(ids).toContain(await detail.getAttribute('data-id'))
    await detail.getByTestId('task-profile-link').click()
    await s.page.getByTestId('view-profiles').waitFor()
    await s.page.getByTestId('profile-detail').waitFor({ timeout: T })
    // The profile shown is in the address: a link to it can be pasted, and Back returns to the task.
    const profileId = (await row.getAttribute('data-testid'))!.replace('profile-row-', '')
    expect(new URL(s.page.url()).hash).toBe(`#/profiles/${profileId}`)
    await s.page.goBack()
    await s.page.getByTestId('task-detail').waitFor({ timeout: T })
    expect(s.errors).toEqual([])
  }, 120_000)

  it('starts a profile of a type from its worker definition, and Stop ends it with what it covered', async () => {
    await nav(s.page, 'workers')
    await s.page.getByTestId('worker-profile-crunch').click()
    await s.page.getByTestId('view-profiles').waitFor()
    await s.page.getByTestId('profile-running').waitFor({ timeout: T })
    const running = s.page.locator('[data-testid^="profile-row-"][data-kind="cpu"][data-state="running"]')
    expect(await running.count()).toBe(1)
    expect(await running.getByTestId('profile-covered').textContent()).toBe('0 / 20')
    const id = (await running.getAttribute('data-testid'))!.replace('profile-row-', '')
    await running.getByTestId('profile-stop').click()
    const row = s.page.getByTestId(`profile-row-${id}`)
    await s.page.locator(`[data-testid="profile-row-${id}"][data-state="ready"]`).waitFor({ timeout: T })
    expect(await row.getByTestId('profile-covered').textContent()).toBe('0 / 20')
  }, 120_000)

  it('takes a heap snapshot of a worker process from Workers and downloads it as JSON with snapshot and nodes', async () => {
    await nav(s.page, 'workers')
    const proc = s.page.locator('[data-testid^="process-row-"][data-type="crunch"]').first()
    await proc.waitFor({ timeout: T })
    await proc.getByTestId('process-heap').click()
    await s.page.getByTestId('view-profiles').waitFor()
    const row = s.page.locator('[data-testid^="profile-row-"][data-kind="heap"]').first()
    await row.locator('xpath=self::*[@data-state="ready"]').waitFor({ timeout: 60_000 })
    const { text, suggested } = await download(s.page, () => row.getByTestId('profile-download').click(), s.tmp.dir, 'got.heapsnapshot')
    expect(suggested).toMatch(/\.heapsnapshot$/)
    const snapshot = JSON.parse(text) as Record<string, unknown>
    expect(snapshot).toHaveProperty('snapshot')
    expect(snapshot).toHaveProperty('nodes')
    expect(s.errors).toEqual([])
  }, 120_000)
  it('profiles the process a debug session is attached to, from the debugger\'s toolbar', async () => {
    await nav(s.page, 'workers')
    await s.page.locator('[data-testid^="process-row-"][data-type="crunch"]').first().getByTestId('process-debugger').click()
    await s.page.locator('[data-testid="debugger"][data-state="running"]').waitFor({ timeout: 30_000 })
    await s.page.getByTestId('view-debugger').getByTestId('process-profile').click()
    await s.page.getByTestId('view-profiles').waitFor()
    const running = s.page.locator('[data-testid^="profile-row-"][data-kind="cpu"][data-state="running"]')
    await running.waitFor({ timeout: T })
    const pid = Number((await running.locator('td').nth(2).textContent())!.replace(/^.*pid /, ''))
    const proc = (await s.console.service.call('drones.list', {}))[0]!.processes.find((p) => p.type === 'crunch')!
    expect(proc.inspectUrl).toBeTruthy()
    expect(pid).toBe(proc.pid)
    await s.console.service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks: Array.from({ length: 20 }, () => ({ type: 'crunch', payload: { ms: 2 } })) })
    await s.page.locator('[data-testid^="profile-row-"][data-kind="cpu"][data-state="ready"]').first().waitFor({ timeout: 60_000 })
    await nav(s.page, 'debugger')
    await s.page.getByTestId('debug-detach').click()
    expect(s.errors).toEqual([])
  }, 120_000)
})
