/**
 * The renderer's transports against the real console server: the WebSocket's token handling, its
 * reconnect with backoff (status shown, pending calls rejected with a clear error, the lists reloaded
 * after), and the preload-bridge transport (a stand-in `window.swarmage` with the preload's shape).
 */
import { describe, expect, it } from 'vitest'
import { T, nav, openConsole } from './flows.ts'
import { watchErrors } from './harness.ts'
import { consoleSession } from './session.ts'

const TOKEN = 'e2e-token-0123456789'

describe('console transports', () => {
  const s = consoleSession('swarmage-e2e-transport-', { page: false, console: { token: TOKEN, holdMethod: 'tasks.demo' } })

  it('says the token is missing when the page is opened without it', async () => {
    const page = await s.browser.newPage()
    const origin = new URL(s.console.url).origin
    await page.goto(`${origin}/`)
    await page.locator('[data-testid="link-status"][data-state="closed"]').waitFor({ timeout: T })
    await expect.poll(async () => page.getByTestId('link-error').textContent(), { timeout: T }).toContain('access token')
    await page.close()
  })

  it('reconnects after the server goes away, rejecting the call in flight with a clear error', async () => {
    expect(s.console.url).toContain(`#token=${TOKEN}`)
    const page = await s.browser.newPage()
    const errors = watchErrors(page)
    await openConsole(page, s.console.url)
    // The token left the address bar (history, bookmarks) but stays in the tab's sessionStorage.
    expect(page.url()).not.toContain(TOKEN)
    expect(await page.evaluate(() => sessionStorage.getItem('swarmage.consoleToken'))).toBe(TOKEN)
    await nav(page, 'enqueue')
    // The harness holds tasks.demo unanswered: the call is certainly in flight when the server stops.
    await page.getByTestId('demo-count').fill('10')
    await page.getByTestId('demo-send').click()
    await page.getByTestId('demo-send').and(page.locator(':disabled')).waitFor()
    await s.console.stopServer()
    let restarted = false
    try {
      await expect.poll(async () => page.getByTestId('link-status').textContent(), { timeout: T }).toMatch(/disconnected, retry in \d+ s/)
      await page.getByTestId('demo-error').waitFor({ timeout: T })
      expect(await page.getByTestId('demo-error').getAttribute('data-code')).toBe('transport')
      expect(await page.getByTestId('demo-error-message').textContent()).toContain('closed before tasks.demo answered')
      await s.console.restartServer()
      restarted = true
      await page.locator('[data-testid="link-status"][data-state="open"]').waitFor({ timeout: T })
      // After the reconnect the lists are read again and calls work.
      await nav(page, 'connections')
      await page.getByTestId('connection-test-btn-Embedded').click()
      await page.getByTestId('connection-test-Embedded').waitFor({ timeout: T })
      expect(errors.filter((e) => !e.includes('WebSocket') && !e.includes('ERR_CONNECTION_REFUSED') && !e.includes('Failed to load resource'))).toEqual([])
    } finally {
      // The next test needs the server even when this one failed half-way.
      if (!restarted) await s.console.restartServer()
      await page.close()
    }
  })

  it('uses the preload bridge when window.swarmage exists', async () => {
    const page = await s.browser.newPage()
    // A stand-in for src/preload: domain methods per contract key plus onPush, carried here over the
    // server's own WebSocket (the real preload uses IPC; the renderer cannot tell the difference).
    await page.addInitScript((token) => {
      const ws = new WebSocket(`ws://${location.host}/ws?token=${token}`)
      const open = new Promise((r) => ws.addEventListener('open', r))
      const pending = new Map<number, (reply: unknown) => void>()
      const listeners = new Set<(m: unknown) => void>()
      let next = 1
      ws.addEventListener('message', (ev) => {
        const f = JSON.parse(String(ev.data))
        if (f.push) return listeners.forEach((l) => l(f.push))
        const p = pending.get(f.id)
        pending.delete(f.id)
        // As the preload does: main's reply object, { result } or { error }, handed over unchanged.
        p?.(f.error ? { error: f.error } : { result: f.result })
      })
      const callApi = async (method: string, params: unknown) => {
        await open
        const id = next++
        return new Promise((resolve) => {
          pending.set(id, resolve)
          ws.send(JSON.stringify({ id, method, params }))
        })
      }
      const domain = (noun: string) => new Proxy({}, { get: (_t, verb: string) => (params: unknown) => callApi(`${noun}.${verb}`, params) })
      ;(window as unknown as { swarmage: unknown }).swarmage = {
        onPush: (l: (m: unknown) => void) => (listeners.add(l), () => listeners.delete(l)),
        app: domain('app'),
        connections: domain('connections'),
        workers: domain('workers'),
        drones: domain('drones'),
        tasks: domain('tasks'),
        queue: domain('queue'),
      }
    }, TOKEN)
    const origin = new URL(s.console.url).origin
    await page.goto(`${origin}/`)
    await expect.poll(async () => page.getByTestId('link-status').textContent(), { timeout: T }).toContain('desktop')
    await nav(page, 'connections')
    await page.getByTestId('connection-row-Embedded').waitFor({ timeout: T })
    // Errors through the bridge keep their code and the server's words: an over-long key is refused.
    await nav(page, 'enqueue')
    await page.getByTestId('enqueue-type').fill('bridge.test')
    await page.getByTestId('enqueue-key').fill('k'.repeat(300))
    await page.getByTestId('enqueue-send').click()
    await page.getByTestId('enqueue-error').waitFor({ timeout: T })
    expect(await page.getByTestId('enqueue-error').getAttribute('data-code')).toBe('input')
    expect(await page.getByTestId('enqueue-error-message').textContent()).toContain('key')
    await page.close()
  })
})
