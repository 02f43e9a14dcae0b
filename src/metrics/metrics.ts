import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { DroneEvent } from '../core/events.ts'
import type { Queue } from '../queue/queue.ts'
import { QueueGauges, type QueueGaugeOptions } from './queue-gauges.ts'

/**
 * Prometheus metrics of a Swarmage process (CONTRACT.md "Operations": Metrics), on a registry of its
 * own (never prom-client's global one, so a user's app can run several or merge ours into theirs).
 * Fed from outside the engine: the drones' typed event stream (`drone.on('event')`), their
 * snapshots at scrape time, and the queue's enqueue notifications; no hook inside a drone's core.
 * Names and labels are listed in METRIC_NAMES and docs/architecture.md#metrics; the Grafana dashboard
 * (docs/grafana-dashboard.json) is built on them.
 */

/** What a watched drone must offer: its event stream and its snapshot (a `Drone` has both). */
export interface WatchedDrone {
  readonly name: string
  readonly settings: { leaseMs: number }
  readonly id: string
  on(event: 'event', listener: (e: DroneEvent) => void): unknown
  off(event: 'event', listener: (e: DroneEvent) => void): unknown
  snapshot(): {
    types: ReadonlyArray<{ type: string; capacity: number; buffered: number; running: number }>
    leases: { held: number; lastExtendAt: number | null }
  }
}

/**
 * Buckets of both histograms, seconds: no-op tasks start within milliseconds of being due, a busy
 * queue keeps tasks waiting minutes, and tasks run from 1 ms to an hour (taskTimeoutMs' range).
 */
const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

/** Due times remembered between 'claimed' and 'started' at most (tasks in hand are bounded by capacity; this bounds a leak). */
const MAX_PENDING_WAITS = 200_000

export const METRIC_NAMES = {
  enqueued: 'swarmage_tasks_enqueued_total',
  started: 'swarmage_tasks_started_total',
  succeeded: 'swarmage_tasks_succeeded_total',
  failed: 'swarmage_tasks_failed_total',
  retried: 'swarmage_tasks_retried_total',
  cancelled: 'swarmage_tasks_cancelled_total',
  handedBack: 'swarmage_tasks_handed_back_total',
  leaseLost: 'swarmage_tasks_lease_lost_total',
  queueTasks: 'swarmage_queue_tasks',
  capacity: 'swarmage_drone_capacity',
  buffered: 'swarmage_drone_buffered',
  running: 'swarmage_drone_running',
  leasesHeld: 'swarmage_drone_leases_held',
  leaseExtendAge: 'swarmage_drone_lease_extend_age_seconds',
  leaseMs: 'swarmage_drone_lease_seconds',
  wait: 'swarmage_task_wait_seconds',
  run: 'swarmage_task_run_seconds',
} as const

type OutcomeKind = 'started' | 'succeeded' | 'failed' | 'retried' | 'cancelled' | 'handed-back' | 'lease-lost'

export class SwarmageMetrics {
  readonly registry: Registry
  private readonly drones = new Set<WatchedDrone>()
  private readonly counters: Record<OutcomeKind, Counter<'type' | 'drone'>>
  private readonly enqueued: Counter<'type'>
  private readonly wait: Histogram<'type'>
  private readonly run: Histogram<'type'>
  private readonly queueGauges: QueueGauges[] = []

  constructor(registry: Registry = new Registry()) {
    this.registry = registry
    const registers = [registry]
    const counter = (name: string, help: string): Counter<'type' | 'drone'> => new Counter({ name, help, labelNames: ['type', 'drone'], registers })
    this.counters = {
      started: counter(METRIC_NAMES.started, 'Attempts started by a worker process, by type and drone.'),
      succeeded: counter(METRIC_NAMES.succeeded, 'Tasks succeeded, by type and drone.'),
      failed: counter(METRIC_NAMES.failed, 'Tasks failed for good (attempts exhausted or a permanent error), by type and drone.'),
      retried: counter(METRIC_NAMES.retried, 'Failed attempts that will be retried after a backoff, by type and drone.'),
      cancelled: counter(METRIC_NAMES.cancelled, 'Tasks in hand cancelled, by type and drone.'),
      'handed-back': counter(METRIC_NAMES.handedBack, 'Tasks handed back to the queue without using an attempt (a drain), by type and drone.'),
      'lease-lost': counter(METRIC_NAMES.leaseLost, 'Tasks a drone dropped because it lost their lease, by type and drone.'),
    }
    this.enqueued = new Counter({ name: METRIC_NAMES.enqueued, help: 'Tasks enqueued through this process (library, console, postbacks), by type.', labelNames: ['type'], registers })
    this.wait = new Histogram({
      name: METRIC_NAMES.wait,
      help: 'Seconds from when a task was due (enqueued, or its delay or backoff over) to its start in a worker process, by type.',
      labelNames: ['type'],
      buckets: SECONDS_BUCKETS,
      registers,
    })
    this.run = new Histogram({ name: METRIC_NAMES.run, help: 'Seconds an attempt ran in its worker process (finished attempts), by type.', labelNames: ['type'], buckets: SECONDS_BUCKETS, registers })
    this.droneGauges(registers)
  }

  /** Counts a drone's task events and reports its gauges at each scrape; returns the unwatch (its gauges go, its counters stay). */
  watchDrone(drone: WatchedDrone): () => void {
    // By task, with the attempt it was claimed for: an attempt's outcome can be acknowledged after the
    // next attempt's claim (the retry ran out its backoff first), and must not drop that claim's due time.
    const dueAt = new Map<string, { at: number; attempt: number | undefined }>()
    const listener = (e: DroneEvent): void => {
      if (!('taskId' in e)) return
      if (e.kind === 'claimed') {
        if (e.dueAt === undefined) return
        if (dueAt.size >= MAX_PENDING_WAITS) dueAt.clear()
        dueAt.set(e.taskId, { at: e.dueAt, attempt: e.attempt })
        return
      }
      const due = dueAt.get(e.taskId)
      const sameAttempt = due !== undefined && (due.attempt === undefined || e.attempt === undefined || due.attempt === e.attempt)
      if (e.kind === 'started' && due !== undefined && sameAttempt) {
        // Clamped: the due time is on the queue's clock, the start on this machine's.
        this.wait.observe({ type: e.type }, Math.max(0, e.at - due.at) / 1000)
      }
      if (e.kind in this.counters) {
        this.counters[e.kind as OutcomeKind].inc({ type: e.type, drone: drone.name })
        if (sameAttempt) dueAt.delete(e.taskId)
      }
      if ((e.kind === 'succeeded' || e.kind === 'failed' || e.kind === 'retried') && e.durationMs !== undefined) {
        this.run.observe({ type: e.type }, e.durationMs / 1000)
      }
    }
    drone.on('event', listener)
    this.drones.add(drone)
    return () => {
      drone.off('event', listener)
      this.drones.delete(drone)
    }
  }

  /**
   * Counts the enqueues made through `queue` in this process, and serves its queue-wide gauges
   * (queued and running by type): cached, and on a drone computed by one live drone at a time
   * (options.electedBy); returns the unwatch.
   */
  watchQueue(queue: Queue, options: QueueGaugeOptions = {}): () => void {
    const off = queue.onEnqueued((types) => {
      for (const type of types) this.enqueued.inc({ type })
    })
    const gauges = new QueueGauges(queue, options)
    this.queueGauges.push(gauges)
    return () => {
      off()
      const i = this.queueGauges.indexOf(gauges)
      if (i >= 0) this.queueGauges.splice(i, 1)
    }
  }

  /** The exposition: Prometheus text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }

  private droneGauges(registers: Registry[]): void {
    const drones = this.drones
    const queueGauges = this.queueGauges
    const byType = (name: string, help: string, pick: (t: { capacity: number; buffered: number; running: number }) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['type', 'drone'],
        registers,
        collect() {
          this.reset()
          for (const d of drones) for (const t of d.snapshot().types) this.set({ type: t.type, drone: d.name }, pick(t))
        },
      })
    }
    byType(METRIC_NAMES.capacity, 'Tasks a drone takes in hand at most, by type (bufferPerWorker × processes, at least 2 × concurrency × processes).', (t) => t.capacity)
    byType(METRIC_NAMES.buffered, 'Tasks a drone holds that have not started (in its local queue or waiting in a worker process), by type.', (t) => t.buffered)
    byType(METRIC_NAMES.running, 'Tasks running in a drone’s worker processes, by type.', (t) => t.running)
    new Gauge({
      name: METRIC_NAMES.leasesHeld,
      help: 'Leases a drone holds (tasks in hand, outcomes not yet acknowledged included).',
      labelNames: ['drone'],
      registers,
      collect() {
        this.reset()
        for (const d of drones) this.set({ drone: d.name }, d.snapshot().leases.held)
      },
    })
    new Gauge({
      name: METRIC_NAMES.leaseExtendAge,
      help: 'Seconds since a drone last extended its leases; above swarmage_drone_lease_seconds its tasks may be rescued by other drones.',
      labelNames: ['drone'],
      registers,
      collect() {
        this.reset()
        const now = Date.now()
        for (const d of drones) {
          const at = d.snapshot().leases.lastExtendAt
          if (at !== null) this.set({ drone: d.name }, (now - at) / 1000)
        }
      },
    })
    new Gauge({
      name: METRIC_NAMES.leaseMs,
      help: 'A drone’s lease length (leaseMs), seconds: the bound for swarmage_drone_lease_extend_age_seconds.',
      labelNames: ['drone'],
      registers,
      collect() {
        this.reset()
        for (const d of drones) this.set({ drone: d.name }, d.settings.leaseMs / 1000)
      },
    })
    new Gauge({
      name: METRIC_NAMES.queueTasks,
      help: 'Tasks in the global queue by type and state (queued, running), queue-wide: served by one live drone at a time, or the console; cached.',
      labelNames: ['type', 'state'],
      registers,
      async collect() {
        this.reset()
        for (const g of queueGauges) {
          const counts = await g.read()
          if (counts === null) continue
          for (const [type, c] of Object.entries(counts)) {
            this.set({ type, state: 'queued' }, c.queued)
            this.set({ type, state: 'running' }, c.running)
          }
        }
      },
    })
  }
}
