import { useMemo, useState } from 'react'
import { Chart, type ChartSeries } from '../../components/Chart.tsx'
import { CHART_SPANS, chartSeconds } from '../../lib/flow-series.ts'
import { byType } from '../../stores/flow.ts'

/** A palette that reads on dark and light backgrounds; red is kept for failures. */
const PALETTE = ['#4f9dff', '#2ec27e', '#c678dd', '#e5a50a', '#26b5c8', '#f66151', '#a0a8b8', '#ff8fbf']

const SPAN_LABELS: Record<(typeof CHART_SPANS)[number], string> = { 300: '5 m', 900: '15 m', 3600: '1 h' }

/**
 * Throughput (finished per second, failures dashed red) and run time (p95, measured in the worker
 * process) per task type, over the chosen span: 5 m, 15 m or 1 h, from the first event when that
 * is more recent (chartSeconds).
 */
export function FlowCharts({ tick }: { tick: number }) {
  const [span, setSpan] = useState<(typeof CHART_SPANS)[number]>(900)
  const types = byType.keys()
  const typesKey = types.join('\n')
  const colors = useMemo(() => new Map(typesKey.split('\n').map((t, i) => [t, PALETTE[i % PALETTE.length]!])), [typesKey])
  const seconds = chartSeconds(span, byType.firstS)

  const throughput = useMemo(() => {
    void tick
    const ok = byType.columns(types, seconds, (b) => b.counts.succeeded + b.counts.failed)
    const failed = byType.columns(types, seconds, (b) => b.counts.failed)
    const failTotal = failed[0].map((_, i) => failed.slice(1).reduce((n, col) => n + ((col as Array<number | null>)[i] ?? 0), 0))
    return [...ok, failTotal] as [number[], ...Array<Array<number | null>>]
    // types is derived from typesKey
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, typesKey, seconds])
  const latency = useMemo(() => {
    void tick
    return byType.columns(types, seconds, (b) => b.runP95)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, typesKey, seconds])

  const tpSeries: ChartSeries[] = [...types.map((t) => ({ label: t, color: colors.get(t)! })), { label: 'failed', color: '#e01b24', dash: [4, 3] }]
  const latSeries: ChartSeries[] = types.map((t) => ({ label: `${t} run p95`, color: colors.get(t)! }))
  const shown = seconds < span ? `since the first event, ${Math.round(seconds / 60) || 1} min` : `last ${SPAN_LABELS[span]}`

  return (
    <>
      <div className="actions chart-spans" role="group" aria-label="Chart span" data-testid="chart-spans" data-seconds={seconds}>
        <span className="muted">Charts: {shown}</span>
        {CHART_SPANS.map((s) => (
          <button key={s} type="button" className={`btn small${s === span ? ' primary' : ' ghost'}`} aria-pressed={s === span} onClick={() => setSpan(s)} data-testid={`chart-span-${s}`}>
            {SPAN_LABELS[s]}
          </button>
        ))}
      </div>
      <div className="charts">
        <div className="panel chart-panel">
          <h3>Throughput, tasks finished per second</h3>
          <Chart series={tpSeries} data={throughput} unit="" testId="chart-throughput" />
        </div>
        <div className="panel chart-panel">
          <h3>Run time p95, ms (handler start to end, in the worker)</h3>
          <Chart series={latSeries} data={latency} unit="" testId="chart-latency" />
        </div>
      </div>
    </>
  )
}
