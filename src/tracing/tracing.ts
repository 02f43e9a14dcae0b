/**
 * OpenTelemetry spans (through @opentelemetry/api only: a no-op unless the user's process registers
 * an SDK). A trace crosses the queue by the W3C `traceparent` stored with each task (column
 * `traceparent`): enqueue (PRODUCER, a child of the caller's active span) → claim (CONSUMER, in the
 * drone) and run (CONSUMER, in the worker process, active around the handler so the user's spans
 * nest) → each postback's enqueue (PRODUCER, a child of the run) → its claim and run, and so on.
 *
 * The traceparent is written and read here, not by the global propagator: the stored form must be
 * W3C whatever propagator (or none) the user registered, and a worker process may have an SDK
 * without any propagator set.
 */
import { context, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context, type Span, type SpanContext } from '@opentelemetry/api'

export { SpanKind, type Span }

const TRACER = 'swarmage'
const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

export function tracer() {
  // Looked up per use: a provider registered after this module loaded (the usual order) is honoured.
  return trace.getTracer(TRACER)
}

/**
 * Whether a tracer provider (an SDK) is registered. Without one, and with no trace to continue, the
 * spans are skipped altogether: a no-op run span still cost 1.1–1.6 µs a task, this check 0.04–0.25 µs
 * (10⁶ runs, 3 rounds, this loaded machine), against ~10 µs of worker CPU per no-op task
 * (docs/performance.md). The global
 * provider is our API copy's own proxy with no delegate when nothing registered; another copy's proxy
 * (a worker module's) is there only because that copy registered a provider.
 */
export function sdkRegistered(): boolean {
  const provider = trace.getTracerProvider()
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER) !== undefined
}

/** The W3C traceparent of a span, or null when its context is invalid (no SDK and no active trace). */
export function toTraceparent(sc: SpanContext): string | null {
  if (!trace.isSpanContextValid(sc)) return null
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0')}`
}

/** A context whose parent is the span a stored traceparent names (ROOT when it is absent or malformed). */
export function fromTraceparent(traceparent: string | null | undefined): Context {
  const m = traceparent ? TRACEPARENT_RE.exec(traceparent) : null
  if (!m) return ROOT_CONTEXT
  const sc: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true }
  return trace.isSpanContextValid(sc) ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT
}

/** Attributes every span of a task carries (messaging conventions, plus ours). */
function taskAttributes(type: string, extra: Record<string, string | number | undefined>): Record<string, string | number> {
  const a: Record<string, string | number> = { 'messaging.system': 'swarmage', 'messaging.destination.name': type }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) a[k] = v
  return a
}

/**
 * Runs `insert` inside an enqueue span (a child of `parent`, default the active context) and gives it
 * the span's traceparent to store; the span ends with the insert, failed if it threw.
 */
export async function tracedEnqueue<T>(types: readonly string[], insert: (traceparent: string | null) => Promise<T>, parent: Context = context.active()): Promise<T> {
  if (!sdkRegistered() && trace.getSpan(parent) === undefined) return insert(null)
  const type = types.length > 0 && types.every((t) => t === types[0]) ? types[0]! : 'mixed'
  const span = tracer().startSpan(`swarmage enqueue ${type}`, { kind: SpanKind.PRODUCER, attributes: taskAttributes(type, { 'messaging.batch.message_count': types.length > 1 ? types.length : undefined }) }, parent)
  try {
    return await insert(toTraceparent(span.spanContext()))
  } catch (err) {
    failSpan(span, err)
    throw err
  } finally {
    span.end()
  }
}

/** The drone's claim of tasks enqueued under a trace: one short span each, a child of its enqueue. */
export function traceClaims(tasks: ReadonlyArray<{ id: string; type: string; attempt: number; traceparent?: string | null }>, droneName: string): void {
  for (const t of tasks) {
    if (!t.traceparent) continue
    const attributes = taskAttributes(t.type, { 'messaging.message.id': t.id, 'swarmage.task.attempt': t.attempt, 'swarmage.drone': droneName })
    tracer().startSpan(`swarmage claim ${t.type}`, { kind: SpanKind.CONSUMER, attributes }, fromTraceparent(t.traceparent)).end()
  }
}

/** A run's span, and the context with it active (the parent of the handler's spans and postbacks). */
export interface RunTrace {
  span: Span
  context: Context
}

/** The run of one attempt, in the worker process: a child of the task's enqueue (a root span when it has none); undefined when nothing would record it. */
export function startRunSpan(item: { id: string; type: string; attempt: number; traceparent?: string | undefined }): RunTrace | undefined {
  if (!item.traceparent && !sdkRegistered()) return undefined
  const parent = fromTraceparent(item.traceparent)
  const attributes = taskAttributes(item.type, { 'messaging.message.id': item.id, 'swarmage.task.attempt': item.attempt })
  const span = tracer().startSpan(`swarmage run ${item.type}`, { kind: SpanKind.CONSUMER, attributes }, parent)
  return { span, context: trace.setSpan(parent, span) }
}

/** The active context when its span belongs to the run's trace (the handler's own span), else the run's context. */
export function parentWithin(run: RunTrace): Context {
  const active = context.active()
  const span = trace.getSpan(active)
  return span && span.spanContext().traceId === run.span.spanContext().traceId ? active : run.context
}

/** Marks a span failed with the error (an Error, or a task's `{ message, stack }`). */
export function failSpan(span: Span, err: unknown): void {
  const e = err as { message?: unknown; stack?: unknown } | null
  const message = typeof e?.message === 'string' ? e.message : String(err)
  span.recordException(typeof e?.stack === 'string' ? { message, stack: e.stack } : { message })
  span.setStatus({ code: SpanStatusCode.ERROR, message })
}

/** Runs `fn` with `ctx` active (the user's spans inside a handler nest under its run span). */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn)
}
