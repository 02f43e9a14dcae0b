/**
 * Console benchmark (not a timed test): `npx tsx test/e2e/console-bench.ts [--seconds 10] [--only sqlite|postgres]`
 *
 * For each backend (SQLite file, then PostgreSQL in a schema of its own):
 *  1. fills the queue with no-op tasks and starts a drone through the console API, so tasks flow as
 *     fast as this machine allows (the target is ~5,000/s; the achieved rate is printed);
 *  2. with the Flow view open, then the Tasks view, records long tasks (PerformanceObserver
 *     'longtask', > 50 ms on the main thread) for N seconds each, and checks that the views kept
 *     updating (Flow's succeeded total and the Tasks count change every second);
 *  3. enqueues 100,000 tasks of another type and times a cold Tasks page load filtered to them;
 *  4. from the Tasks view filtered to those 100,000, runs "Cancel all…" (a bulk action in batches) and
 *     records long tasks, how often its progress moved, and the page's answer time while it runs.
 * Prints one figures block per backend.
 */
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { openQueue } from '../../src/queue/open.ts'
import { TEST_PG, dropSchema, pgAddress, tempDir, uniqueSchema } from '../helpers.ts'
import { buildRenderer, launchBrowser, ROOT, startConsole } from './harness.ts'

const args = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const SECONDS = Number(arg('seconds') ?? 10)
const ONLY = arg('only')
const FLOW_TASKS = Number(arg('flow-tasks') ?? 150_000)
const PAGE_TASKS = 100_000
const NOOP = join(ROOT, 'test/e2e/fixtures/noop.mjs')
/** --profile: a CPU profile of the page during the Tasks phase; prints the top functions by self time. */
const PROFILE = args.includes('--profile')

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
async function withProfile<T>(page: Page, fn: () => Promise<T>): Promise<T> {
  if (!PROFILE) return fn()
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.start')
  const result = await fn()
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } }
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const byName = new Map<string, number>()
  for (const n of profile.nodes) {
    const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`
    byName.set(name, (byName.get(name) ?? 0) + (self.get(n.id) ?? 0))
  }
  console.log([...byName].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([n, us]) => `  ${(us / 1000).toFixed(0).padStart(6)} ms  ${n}`).join('\n'))
  return result
}

interface LongTasks {
  count: number
  totalMs: number
  maxMs: number
}

async function longTasksDuring(page: Page, seconds: number, sample: () => Promise<number>): Promise<{ long: LongTasks; samples: number[] }> {
  await page.evaluate(() => {
    const w = window as unknown as { __long: number[] }
    w.__long = []
  })
  const samples: number[] = []
  for (let i = 0; i <= seconds; i++) {
    samples.push(await sample())
    if (i < seconds) await page.waitForTimeout(1000)
  }
  const long = await page.evaluate(() => {
    const l = (window as unknown as { __long: number[] }).__long
    return { count: l.length, totalMs: Math.round(l.reduce((a, b) => a + b, 0)), maxMs: Math.round(Math.max(0, ...l)) }
  })
  return { long, samples }
}

const increasing = (xs: number[]): number => xs.slice(1).filter((x, i) => x !== xs[i]).length

async function bench(kind: 'sqlite' | 'postgres'): Promise<void> {
  const tmp = tempDir(`swarmage-console-bench-${kind}-`)
  const schema = uniqueSchema('console_bench')
  const address = kind === 'sqlite' ? `sqlite:${join(tmp.dir, 'queue.db')}` : pgAddress(schema)
  const consoleHandle = await startConsole({ dataDir: join(tmp.dir, 'data'), staticDir: buildRenderer() })
  const browser = await launchBrowser()
  try {
    const svc = consoleHandle.service
    const conn = await svc.call('connections.save', kind === 'sqlite' ? { name: 'bench', kind: 'sqlite', path: join(tmp.dir, 'queue.db') } : { name: 'bench', kind: 'postgres', address })
    await svc.call('connections.migrate', { id: conn.id })
    const def = await svc.call('workers.save', { type: 'noop', module: NOOP, processes: 2, concurrency: 500, watch: false })

    const queue = await openQueue(address)
    let t0 = Date.now()
    for (let i = 0; i < FLOW_TASKS; i += 10_000) {
      await queue.enqueueMany(Array.from({ length: Math.min(10_000, FLOW_TASKS - i) }, () => ({ type: 'noop', payload: null })))
    }
    const fillMs = Date.now() - t0

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    await page.addInitScript(() => {
      const w = window as unknown as { __long: number[] }
      w.__long = []
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__long.push(e.duration)
      }).observe({ type: 'longtask', buffered: true })
    })
    await page.goto(consoleHandle.url)
    await page.locator('[data-testid="link-status"][data-state="open"]').waitFor()
    await page.getByTestId('connection-select').selectOption(conn.id)

    const drone = await svc.call('drones.start', { connectionId: conn.id, workerIds: [def.id], name: 'bench' })
    await page.getByTestId('nav-flow').click()
    await page.getByTestId('flow-drone-bench').waitFor({ timeout: 30_000 })
    // Let the flow reach its pace before measuring.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="flow-succeeded-total"]')?.textContent?.replace(/k$/, '000')) > 0, null, { timeout: 30_000 })
    const readTotal = async (): Promise<number> => {
      const t = (await page.getByTestId('flow-succeeded-total').textContent()) ?? '0'
      return t.endsWith('M') ? parseFloat(t) * 1e6 : t.endsWith('k') ? parseFloat(t) * 1e3 : Number(t)
    }
    const before = await queue.stats()
    t0 = Date.now()
    const flow = await longTasksDuring(page, SECONDS, readTotal)
    const after = await queue.stats()
    const flowMs = Date.now() - t0
    const done = (s: typeof before) => Object.values(s.types).reduce((n, c) => n + c.succeeded + c.failed, 0)
    const rate = ((done(after) - done(before)) * 1000) / flowMs

    await page.getByTestId('nav-tasks').click()
    // Newest succeeded first: with tasks finishing, the first rows change every refresh.
    await page.getByTestId('tasks-state').selectOption('succeeded')
    await page.getByTestId('tasks-table').waitFor({ timeout: 30_000 })
    const readTasks = async (): Promise<number> => {
      const first = await page.locator('[data-testid="task-row"][data-index="0"]').getAttribute('data-state', { timeout: 5000 }).catch(() => '')
      const count = (await page.getByTestId('tasks-count').textContent()) ?? ''
      // Any change of the first row or the count label counts as an update.
      return [...`${first}|${count}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7)
    }
    const tasks = await withProfile(page, () => longTasksDuring(page, SECONDS, readTasks))
    await svc.call('drones.stop', { id: drone.id, mode: 'now' })

    t0 = Date.now()
    for (let i = 0; i < PAGE_TASKS; i += 10_000) {
      await queue.enqueueMany(Array.from({ length: 10_000 }, (_, j) => ({ type: 'page', payload: { i: i + j } })))
    }
    const pageFillMs = Date.now() - t0
    await queue.close()
    // Cold: a fresh page load, straight to Tasks (no filter: every task of the queue, newest first).
    t0 = Date.now()
    await page.reload()
    await page.locator('[data-testid="link-status"][data-state="open"]').waitFor()
    await page.getByTestId('nav-tasks').click()
    await page.locator('[data-testid="task-row"][data-index="0"][data-type="page"]').waitFor()
    const coldMs = Date.now() - t0
    const coldLabel = await page.getByTestId('tasks-count').textContent()
    // Filtered: type=page (an index-backed filter), from the moment the debounce fires.
    await page.getByTestId('tasks-state').selectOption('queued')
    await page.locator('[data-testid="task-row"][data-index="0"][data-state="queued"]').waitFor()
    await page.waitForFunction(() => !document.querySelector('[data-testid="tasks-count"] .spinner'))
    const labelBefore = await page.getByTestId('tasks-count').textContent()
    t0 = Date.now()
    await page.getByTestId('tasks-search').fill('"i":4')
    await page.waitForFunction((before) => {
      const el = document.querySelector('[data-testid="tasks-count"]')
      return !!el && el.textContent !== before && !el.querySelector('.spinner')
    }, labelBefore)
    const searchMs = Date.now() - t0 - 300
    const searchLabel = await page.getByTestId('tasks-count').textContent()
    await page.getByTestId('tasks-search').fill('')
    await page.waitForFunction((label) => {
      const el = document.querySelector('[data-testid="tasks-count"]')
      return !!el && el.textContent !== label && !el.querySelector('.spinner')
    }, searchLabel, { timeout: 30_000 })
    t0 = Date.now()
    await page.getByTestId('tasks-scroll').evaluate((el) => el.scrollTo(0, 5000 * 28))
    await page.locator('[data-testid="task-row"][data-index="5000"]').waitFor({ timeout: 60_000 })
    const scroll5k = Date.now() - t0
    const bulk = await bulkPhase(page)

    console.log(`
== console bench: ${kind} (${address.replace(/\/\/[^@]*@/, '//')})
  flow: ${FLOW_TASKS.toLocaleString('en')} no-op tasks enqueued in ${fillMs} ms; drone: 2 processes x 500
  achieved ${Math.round(rate).toLocaleString('en')} tasks/s over ${(flowMs / 1000).toFixed(1)} s (target ~5,000/s)
  Flow view  ${SECONDS} s: long tasks ${flow.long.count} (total ${flow.long.totalMs} ms, max ${flow.long.maxMs} ms); succeeded total changed in ${increasing(flow.samples)}/${SECONDS} seconds
  Tasks view ${SECONDS} s: long tasks ${tasks.long.count} (total ${tasks.long.totalMs} ms, max ${tasks.long.maxMs} ms); list changed in ${increasing(tasks.samples)}/${SECONDS} seconds
  Tasks view, cold page load (reload → Tasks → first rows) over ${(FLOW_TASKS + PAGE_TASKS).toLocaleString('en')} tasks: ${coldMs} ms [${coldLabel?.trim()}]
  Tasks text search (state=queued, search '"i":4') after the debounce: ~${searchMs} ms [${searchLabel?.trim()}]
  scroll to row 5,000 (keyset pages of 1,000): ${scroll5k} ms; filling ${PAGE_TASKS.toLocaleString('en')} took ${pageFillMs} ms
  Tasks view bulk "Cancel all ${bulk.asked.toLocaleString('en')} matching" (type=page, state=queued): count shown in ${bulk.countMs} ms; done in ${(bulk.ms / 1000).toFixed(1)} s (${Math.round((bulk.changed * 1000) / bulk.ms).toLocaleString('en')} tasks/s, ${bulk.changed.toLocaleString('en')} cancelled)
    while it ran: long tasks ${bulk.long.count} (total ${bulk.long.totalMs} ms, max ${bulk.long.maxMs} ms); progress moved in ${bulk.moved}/${bulk.seconds} seconds; one evaluate round trip took ≤ ${bulk.maxAnswerMs} ms (through this bench process, which also hosts the console service and its SQLite)`)
  } finally {
    await browser.close()
    await consoleHandle.close()
    if (kind === 'postgres') await dropSchema(schema)
    tmp.cleanup()
  }
}

/**
 * "Cancel all…" over the Tasks view's current 100,000 (type=page, state=queued): the job runs in the
 * service in batches; the page must keep painting and answering meanwhile.
 */
async function bulkPhase(page: Page): Promise<{ asked: number; countMs: number; ms: number; changed: number; long: LongTasks; moved: number; seconds: number; maxAnswerMs: number }> {
  // Back to the top (the scroll phase left row 5,000 in view; row 0 is not rendered down there).
  await page.getByTestId('tasks-scroll').evaluate((el) => el.scrollTo(0, 0))
  await page.getByTestId('tasks-type').fill('page')
  await page.getByTestId('tasks-state').selectOption('queued')
  await page.locator('[data-testid="task-row"][data-index="0"][data-type="page"][data-state="queued"]').waitFor({ timeout: 60_000 })
  // The type filter applies after its debounce; a question asked before that is withdrawn when the
  // filter changes (its count would be stale): ask until the question names the type filter.
  let t0 = Date.now()
  let countMs = 0
  for (let attempt = 0; countMs === 0; attempt++) {
    if (attempt > 20) throw new Error('the bulk question never showed the type=page filter')
    t0 = Date.now()
    await page.getByTestId('bulk-cancel').click()
    const answer = await page.waitForFunction(
      () => {
        const q = document.querySelector('[data-testid="bulk-question"]')
        if (!q) return 'gone'
        return q.getAttribute('data-count') ? (q.textContent?.includes('type page') ? 'ready' : 'stale') : false
      },
      null,
      { timeout: 120_000 },
    )
    const state = await answer.jsonValue()
    if (state === 'ready') countMs = Date.now() - t0
    // (The filter change may withdraw it first.)
    else if (state === 'stale') await page.getByTestId('bulk-back').click({ timeout: 2000 }).catch(() => undefined)
  }
  const asked = Number(await page.getByTestId('bulk-question').getAttribute('data-count'))
  await page.evaluate(() => {
    ;(window as unknown as { __long: number[] }).__long = []
  })
  t0 = Date.now()
  await page.getByTestId('bulk-confirm').click()
  const seen: number[] = []
  let maxAnswerMs = 0
  while ((await page.getByTestId('bulk-result').count()) === 0) {
    const a = Date.now()
    await page.evaluate(() => performance.now())
    maxAnswerMs = Math.max(maxAnswerMs, Date.now() - a)
    const changed = await page.getByTestId('bulk-progress-text').getAttribute('data-changed', { timeout: 1000 }).catch(() => null)
    if (changed !== null) seen.push(Number(changed))
    await page.waitForTimeout(1000)
  }
  const ms = Date.now() - t0
  const changed = Number(await page.getByTestId('bulk-result').getAttribute('data-changed'))
  const long = await page.evaluate(() => {
    const l = (window as unknown as { __long: number[] }).__long
    return { count: l.length, totalMs: Math.round(l.reduce((a, b) => a + b, 0)), maxMs: Math.round(Math.max(0, ...l)) }
  })
  return { asked, countMs, ms, changed, long, moved: increasing(seen), seconds: Math.max(0, seen.length - 1), maxAnswerMs }
}

console.log(`console bench: ${SECONDS} s per view; PostgreSQL at ${TEST_PG}`)
for (const kind of ['sqlite', 'postgres'] as const) {
  if (!ONLY || ONLY === kind) await bench(kind)
}
