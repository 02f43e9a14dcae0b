/**
 * `swarmage console` as a real process (what a user runs): it prints its URL, serves out/renderer,
 * runs a drone with the config's workers, and the page drives it: a task enqueued from the form
 * succeeds in a worker process of that drone.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.ts'
import { T, enqueue, nav, openConsole, openTaskFromEnqueue, waitTaskState } from './flows.ts'
import { FIXTURE_WORKER, ROOT, ensureOutRenderer, launchBrowser, watchErrors } from './harness.ts'

describe('swarmage console (real process)', () => {
  const tmp = tempDir('swarmage-e2e-cli-')
  let child: ChildProcess
  let browser: Browser
  let url = ''

  beforeAll(async () => {
    ensureOutRenderer()
    writeFileSync(
      join(tmp.dir, 'swarmage.config.mjs'),
      `export default { queue: 'sqlite:./queue.db', workers: { 'cli.e2e': { module: ${JSON.stringify(FIXTURE_WORKER)}, concurrency: 2 } }, drone: { name: 'cli-drone' } }\n`,
    )
    child = spawn(process.execPath, [join(ROOT, 'scripts/dev-cli.js'), 'console', '--port', '0', '--json', '--no-open', '--data-dir', join(tmp.dir, 'data')], {
      cwd: tmp.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    url = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! })
      rl.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url))
      child.once('exit', (code) => reject(new Error(`swarmage console exited with ${code}: ${stderr}`)))
    })
    browser = await launchBrowser()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    tmp.cleanup()
  })

  it('prints a loopback URL and the page runs a task through the config’s drone', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/)
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors = watchErrors(page)
    await openConsole(page, url)
    await nav(page, 'drones')
    await page.locator('[data-testid="drone-cli-drone"][data-state="running"]').waitFor({ timeout: T })
    const id = await enqueue(page, 'cli.e2e', '{"n": 8}')
    await openTaskFromEnqueue(page, id)
    await waitTaskState(page, id, 'succeeded')
    expect(await page.getByTestId('task-result').textContent()).toContain('16')
    expect(errors).toEqual([])
  })
})
