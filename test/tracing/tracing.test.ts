/**
 * OpenTelemetry spans across the queue, with the SDK's in-memory exporter in this process and a
 * worker module that registers the SDK in its own process (its spans come back through a file): a
 * request span → enqueue → claim (drone) and run (worker process) → the handler's own span and a
 * postback's enqueue → the child's claim and run. One trace, parent/child links checked, on SQLite
 * and PostgreSQL.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Drone } from '../../src/drone/drone.ts'
import { BACKENDS, testQueue } from '../drone/setup.ts'
import { until } from '../helpers.ts'
import { registerTracing } from './fixtures/otel.ts'

const WORKER = join(import.meta.dirname, 'fixtures', 'traced-worker.ts')
const exporter = new InMemorySpanExporter()

interface WorkerSpan {
  name: string
  kind: number
  traceId: string
  spanId: string
  parentSpanId: string | null
  attributes: Record<string, unknown>
  status: number
  pid: number
}

beforeAll(() => {
  registerTracing(exporter)
})
afterAll(() => {
  trace.disable()
})
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe.each(BACKENDS)('tracing on %s', (backend) => {
  it('links request → enqueue → claim and run (in the worker) → the postback → its claim and run, in one trace', async () => {
    exporter.reset()
    const t = await testQueue(backend, 'tracing')
    cleanups.push(t.cleanup)
    const spansFile = join(t.dir, 'worker-spans.ndjson')
    const def = { module: WORKER, config: { spansFile } }
    const drone = new Drone({ queue: t.queue, workers: { 'traced-parent': def, 'traced-child': def }, localQueuePath: join(t.dir, 'local.db') })
    cleanups.push(() => drone.stop({ mode: 'now' }))
    await drone.start()

    // The user's web request, say: the enqueue happens inside its active span.
    const request = await trace.getTracer('app').startActiveSpan('POST /orders', async (span) => {
      const id = await t.queue.enqueue('traced-parent', { fail: false })
      span.end()
      return { id, span: span.spanContext() }
    })
    await until(async () => (await t.queue.children(request.id)).length === 1, 60_000, 'the postback')
    const [childId] = await t.queue.children(request.id)
    await until(async () => (await t.queue.get(childId!))?.state === 'succeeded' && (await t.queue.get(request.id))?.state === 'succeeded', 60_000, 'both tasks to succeed')

    const workerSpans = (): WorkerSpan[] =>
      existsSync(spansFile)
        ? readFileSync(spansFile, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as WorkerSpan)
        : []
    // Spans end as the work ends; the run spans a moment after the outcome is sent.
    await until(() => workerSpans().filter((s) => s.name.startsWith('swarmage run ')).length === 2, 30_000, 'both run spans')
    await until(() => exporter.getFinishedSpans().filter((s) => s.name.startsWith('swarmage claim ')).length === 2, 30_000, 'both claim spans')

    const local = exporter.getFinishedSpans().map((s) => ({ name: s.name, kind: s.kind, traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, parentSpanId: s.parentSpanContext?.spanId ?? null, attributes: s.attributes as Record<string, unknown>, status: s.status.code }))
    const remote = workerSpans()
    const all = [...local, ...remote]
    const one = (name: string) => {
      const found = all.filter((s) => s.name === name)
      expect(found, name).toHaveLength(1)
      return found[0]!
    }
    // Every span belongs to the request's trace.
    expect(new Set(all.map((s) => s.traceId))).toEqual(new Set([request.span.traceId]))

    const enqueueParent = one('swarmage enqueue traced-parent')
    expect(enqueueParent).toMatchObject({ kind: SpanKind.PRODUCER, parentSpanId: request.span.spanId })
    const claimParent = one('swarmage claim traced-parent')
    expect(claimParent).toMatchObject({ kind: SpanKind.CONSUMER, parentSpanId: enqueueParent.spanId })
    expect(claimParent.attributes['messaging.message.id']).toBe(request.id)
    const runParent = one('swarmage run traced-parent') as WorkerSpan
    expect(runParent).toMatchObject({ kind: SpanKind.CONSUMER, parentSpanId: enqueueParent.spanId, status: SpanStatusCode.UNSET })
    // ...and it ran in the worker process, not here.
    expect(runParent.pid).not.toBe(process.pid)
    expect(runParent.attributes['messaging.message.id']).toBe(request.id)

    const userWork = one('user work')
    expect(userWork.parentSpanId).toBe(runParent.spanId)
    const enqueueChild = one('swarmage enqueue traced-child')
    expect(enqueueChild).toMatchObject({ kind: SpanKind.PRODUCER, parentSpanId: userWork.spanId })
    const claimChild = one('swarmage claim traced-child')
    expect(claimChild.parentSpanId).toBe(enqueueChild.spanId)
    const runChild = one('swarmage run traced-child')
    expect(runChild).toMatchObject({ parentSpanId: enqueueChild.spanId })
    expect(runChild.attributes['messaging.message.id']).toBe(childId)
  })

  it('marks a failed run span as an error', async () => {
    exporter.reset()
    const t = await testQueue(backend, 'tracing-fail')
    cleanups.push(t.cleanup)
    const spansFile = join(t.dir, 'worker-spans.ndjson')
    const drone = new Drone({ queue: t.queue, workers: { 'traced-parent': { module: WORKER, config: { spansFile } } }, localQueuePath: join(t.dir, 'local.db') })
    cleanups.push(() => drone.stop({ mode: 'now' }))
    await drone.start()
    const id = await t.queue.enqueue('traced-parent', { fail: true }, { maxAttempts: 1 })
    await until(async () => (await t.queue.get(id))?.state === 'failed', 60_000, 'the task to fail')
    const runs = (): WorkerSpan[] =>
      existsSync(spansFile)
        ? readFileSync(spansFile, 'utf8')
            .split('\n')
            .filter((l) => l !== '' && l.includes('"swarmage run '))
            .map((l) => JSON.parse(l) as WorkerSpan)
        : []
    await until(() => runs().length === 1, 30_000, 'the run span')
    expect(runs()[0]).toMatchObject({ name: 'swarmage run traced-parent', status: SpanStatusCode.ERROR })
    const enqueue = exporter.getFinishedSpans().find((s) => s.name === 'swarmage enqueue traced-parent')!
    // No active span at the enqueue: the task's trace starts there.
    expect(enqueue.parentSpanContext).toBeUndefined()
    expect(runs()[0]!.traceId).toBe(enqueue.spanContext().traceId)
  })
})

describe.each(BACKENDS)('a worker with an SDK on %s', (backend) => {
  it('records a root run span for a task enqueued where no SDK was', async () => {
    const t = await testQueue(backend, 'tracing-root')
    cleanups.push(t.cleanup)
    const spansFile = join(t.dir, 'worker-spans.ndjson')
    const drone = new Drone({ queue: t.queue, workers: { 'traced-child': { module: WORKER, config: { spansFile } } }, localQueuePath: join(t.dir, 'local.db') })
    cleanups.push(() => drone.stop({ mode: 'now' }))
    await drone.start()
    trace.disable()
    let id: string
    try {
      id = await t.queue.enqueue('traced-child', null)
    } finally {
      registerTracing(exporter)
    }
    await until(async () => (await t.queue.get(id))?.state === 'succeeded', 60_000, 'the task to succeed')
    const runs = (): WorkerSpan[] =>
      existsSync(spansFile)
        ? readFileSync(spansFile, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"swarmage run '))
            .map((l) => JSON.parse(l) as WorkerSpan)
        : []
    // The worker host's own copy of the API (bundled) sees the provider the module's copy registered.
    await until(() => runs().length === 1, 30_000, 'the run span')
    expect(runs()[0]).toMatchObject({ name: 'swarmage run traced-child', parentSpanId: null })
    expect(runs()[0]!.attributes['messaging.message.id']).toBe(id)
  })
})

describe.each(BACKENDS)('the stored traceparent on %s', (backend) => {
  it("is the enqueue span's, W3C; without an SDK nothing is stored", async () => {
    exporter.reset()
    const t = await testQueue(backend, 'traceparent')
    cleanups.push(t.cleanup)
    const claim = async (type: string) => (await t.queue.driver.taskClaim({ droneId: 'd', droneName: 'd', wants: [{ type, limit: 1 }], leaseMs: 10_000 }))[0]!
    await t.queue.enqueueMany([{ type: 'a', payload: 1 }, { type: 'a', payload: 2 }])
    const batch = exporter.getFinishedSpans().find((s) => s.name === 'swarmage enqueue a')!
    expect(batch.attributes['messaging.batch.message_count']).toBe(2)
    const sc = batch.spanContext()
    expect((await claim('a')).traceparent).toBe(`00-${sc.traceId}-${sc.spanId}-01`)
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'swarmage claim a')).toHaveLength(0) // the driver alone makes no span

    // The SDK gone (a process that never registered one): the API is a no-op and the column stays NULL.
    trace.disable()
    try {
      await t.queue.enqueue('b', null)
      expect((await claim('b')).traceparent).toBeNull()
    } finally {
      registerTracing(exporter)
    }
  })
})
