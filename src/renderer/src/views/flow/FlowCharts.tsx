import { useMemo } from 'react'
import { Chart, type ChartSeries } from '../../components/Chart.tsx'
import { byType } from '../../stores/flow.ts'

/** A palette that reads on dark and light backgrounds; red is kept for failures. */
const PALETTE = ['#4f9dff', '#2ec27e', '#c678dd', '#e5a50a', '#26b5c8', '#f66151', '#a0a8b8', '#ff8fbf']

export const CHART_SECONDS = 900

/** Throughput (finished per second, failures dashed red) and run-time latency (p95) per task type, last 15 minutes. */
export function FlowCharts({ tick }: { tick: number }) {
  const types = byType.keys()
  const typesKey = types.join('\n')
  const colors = useMemo(() => new Map(typesKey.split('\n').map((t, i) => [t, PALETTE[i % PALETTE.length]!])), [typesKey])

  const throughput = useMemo(() => {
    void tick
    const ok = byType.columns(types, CHART_SECONDS, (b) => b.counts.succeeded + b.counts.failed)
    const failed = byType.columns(types, CHART_SECONDS, (b) => b.counts.failed)
    const failTotal = failed[0].map((_, i) => failed.slice(1).reduce((n, col) => n + ((col as Array<number | null>)[i] ?? 0), 0))
    return [...ok, failTotal] as [number[], ...Array<Array<number | null>>]
    // types is derived from typesKey
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, typesKey])
  const latency = useMemo(() => {
    void tick
    return byType.columns(types, CHART_SECONDS, (b) => b.runP95)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, typesKey])

  const tpSeries: ChartSeries[] = [...types.map((t) => ({ label: t, color: colors.get(t)! })), { label: 'failed', color: '#e01b24', dash: [4, 3] }]
  const latSeries: ChartSeries[] = types.map((t) => ({ label: `${t} p95`, color: colors.get(t)! }))

  return (
    <div className="charts">
      <div className="panel chart-panel">
        <h3>Throughput, tasks finished per second</h3>
        <Chart series={tpSeries} data={throughput} unit="" testId="chart-throughput" />
      </div>
      <div className="panel chart-panel">
        <h3>Run time p95 (ms)</h3>
        <Chart series={latSeries} data={latency} unit="" testId="chart-latency" />
      </div>
    </div>
  )
}
