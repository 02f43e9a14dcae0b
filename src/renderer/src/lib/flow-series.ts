import type { FlowDelta } from '../../../api/contract.ts'

/** The counters a FlowDelta carries per type, in a fixed order (one slot array each). */
export const COUNT_FIELDS = ['claimed', 'dispatched', 'started', 'succeeded', 'failed', 'retried', 'cancelled', 'handedBack', 'leaseLost'] as const
export type CountField = (typeof COUNT_FIELDS)[number]

/** Latency slots: sums to average, and a max-of-p95 (p95s of separate windows cannot be merged exactly). */
const LATENCY_FIELDS = ['runCount', 'runSum', 'runP50w', 'runP95', 'waitCount', 'waitSum', 'waitP95'] as const
type LatencyField = (typeof LATENCY_FIELDS)[number]
type Field = CountField | LatencyField

interface Series {
  /** which epoch second each slot holds; -1 = empty */
  stamp: Int32Array
  values: Record<Field, Float64Array>
  totals: Record<CountField, number>
}

/** Clock skew beyond which a delta's own time is ignored in favour of the receiver's (drone clocks may differ). */
const MAX_SKEW_S = 60

/**
 * Per-key time series in 1-second buckets over a fixed horizon (a ring: memory is constant however
 * long the console stays open). Keys are task types (900 s for the charts) or drone ids (60 s for
 * edge rates). Pure: no DOM, unit-tested in test/renderer/flow-series.test.ts.
 */
export class FlowSeries {
  private readonly series = new Map<string, Series>()
  /** bumps on every add: views compare it to skip redraws when nothing arrived */
  version = 0
  /** the epoch second of the first delta added (null: none yet): charts start there when it is recent */
  firstS: number | null = null

  constructor(readonly horizonS: number) {}

  keys(): string[] {
    return [...this.series.keys()].sort()
  }

  /** Adds one delta's per-type numbers under `keyOf(type)` (the type itself, or the drone id). */
  add(delta: FlowDelta, keyOf: (type: string) => string, nowMs: number = Date.now()): void {
    const nowS = Math.floor(nowMs / 1000)
    let sec = Math.floor(delta.at / 1000)
    if (Math.abs(sec - nowS) > MAX_SKEW_S) sec = nowS
    if (this.firstS === null || sec < this.firstS) this.firstS = sec
    for (const [type, t] of Object.entries(delta.types)) {
      const s = this.get(keyOf(type))
      const i = this.slot(s, sec)
      if (i < 0) continue
      for (const f of COUNT_FIELDS) {
        s.values[f][i]! += t[f]
        s.totals[f] += t[f]
      }
      const v = s.values
      v.runCount[i]! += t.runMs.count
      v.runSum[i]! += t.runMs.sum
      v.runP50w[i]! += t.runMs.p50 * t.runMs.count
      v.runP95[i] = Math.max(v.runP95[i]!, t.runMs.p95)
      v.waitCount[i]! += t.waitMs.count
      v.waitSum[i]! += t.waitMs.sum
      v.waitP95[i] = Math.max(v.waitP95[i]!, t.waitMs.p95)
    }
    this.version++
  }

  /** Events per second of `field` over the last `overS` whole seconds before now, summed over `keys` (all when omitted). */
  rate(field: CountField, overS: number, nowMs: number = Date.now(), keys?: string[]): number {
    const nowS = Math.floor(nowMs / 1000)
    let sum = 0
    for (const key of keys ?? this.series.keys()) {
      const s = this.series.get(key)
      if (!s) continue
      // The current second is still filling: count from nowS-overS to nowS-1, plus nowS pro rata is noisy; skip it.
      for (let sec = nowS - overS; sec < nowS; sec++) {
        const i = this.index(sec)
        if (s.stamp[i] === sec) sum += s.values[field][i]!
      }
    }
    return sum / overS
  }

  /** Cumulative count of `field` since the console opened, summed over `keys` (all when omitted). */
  total(field: CountField, keys?: string[]): number {
    let sum = 0
    for (const key of keys ?? this.series.keys()) sum += this.series.get(key)?.totals[field] ?? 0
    return sum
  }

  /**
   * uPlot-ready aligned columns for the last `seconds` (ending at the last whole second): x in epoch
   * seconds, then per key the values `pick` makes of one bucket (null where nothing finished).
   */
  columns(keys: string[], seconds: number, pick: (b: Bucket) => number | null, nowMs: number = Date.now()): [number[], ...Array<Array<number | null>>] {
    const end = Math.floor(nowMs / 1000) - 1
    const xs: number[] = []
    for (let sec = end - seconds + 1; sec <= end; sec++) xs.push(sec)
    const cols = keys.map((key) => {
      const s = this.series.get(key)
      return xs.map((sec) => {
        const i = this.index(sec)
        if (!s || s.stamp[i] !== sec) return pick(EMPTY)
        return pick(bucketAt(s, i))
      })
    })
    return [xs, ...cols]
  }

  private get(key: string): Series {
    let s = this.series.get(key)
    if (!s) {
      const values = {} as Record<Field, Float64Array>
      for (const f of [...COUNT_FIELDS, ...LATENCY_FIELDS]) values[f] = new Float64Array(this.horizonS)
      const totals = {} as Record<CountField, number>
      for (const f of COUNT_FIELDS) totals[f] = 0
      s = { stamp: new Int32Array(this.horizonS).fill(-1), values, totals }
      this.series.set(key, s)
    }
    return s
  }

  private index(sec: number): number {
    return ((sec % this.horizonS) + this.horizonS) % this.horizonS
  }

  /** The slot for `sec`, cleared if it held an older second; -1 when `sec` is older than the slot's. */
  private slot(s: Series, sec: number): number {
    const i = this.index(sec)
    const held = s.stamp[i]!
    if (held === sec) return i
    if (held > sec) return -1
    s.stamp[i] = sec
    for (const f of [...COUNT_FIELDS, ...LATENCY_FIELDS]) s.values[f][i] = 0
    return i
  }
}

/** One second of one key, as chart pickers see it. */
export interface Bucket {
  counts: Record<CountField, number>
  runCount: number
  runMean: number | null
  runP50: number | null
  runP95: number | null
  waitMean: number | null
  waitP95: number | null
}

const EMPTY: Bucket = {
  counts: Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as Record<CountField, number>,
  runCount: 0,
  runMean: null,
  runP50: null,
  runP95: null,
  waitMean: null,
  waitP95: null,
}

function bucketAt(s: Series, i: number): Bucket {
  const v = s.values
  const counts = {} as Record<CountField, number>
  for (const f of COUNT_FIELDS) counts[f] = v[f][i]!
  const rc = v.runCount[i]!
  const wc = v.waitCount[i]!
  return {
    counts,
    runCount: rc,
    runMean: rc > 0 ? v.runSum[i]! / rc : null,
    runP50: rc > 0 ? v.runP50w[i]! / rc : null,
    runP95: rc > 0 ? v.runP95[i]! : null,
    waitMean: wc > 0 ? v.waitSum[i]! / wc : null,
    waitP95: wc > 0 ? v.waitP95[i]! : null,
  }
}

/** The span choices of the Flow charts, in seconds: 5 min, 15 min, 1 h. */
export const CHART_SPANS = [300, 900, 3600] as const
/** A chart never spans less than this, so a run that just began still has a readable x axis. */
export const MIN_CHART_S = 60

/**
 * How many seconds a chart shows (issue 16): the chosen span, or less, from the first event on, when
 * that is more recent than the span's start: a run that just started fills the chart instead of being
 * a thin spike at the right edge of 15 empty minutes.
 */
export function chartSeconds(spanS: number, firstS: number | null, nowMs: number = Date.now()): number {
  if (firstS === null) return Math.min(spanS, MIN_CHART_S)
  const end = Math.floor(nowMs / 1000) - 1
  return Math.max(MIN_CHART_S, Math.min(spanS, end - firstS + 1))
}
