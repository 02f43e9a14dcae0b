import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface ChartSeries {
  label: string
  color: string
  dash?: number[]
}

/**
 * A uPlot chart sized to its box. `data` is replaced by `setData` (no re-creation) so a chart fed once
 * a second costs one canvas redraw; the chart is rebuilt only when the series list changes.
 */
export function Chart({ series, data, unit, testId, height = 180 }: { series: ChartSeries[]; data: uPlot.AlignedData; unit: string; testId: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const latest = useRef(data)
  latest.current = data
  const shape = JSON.stringify(series)

  useEffect(() => {
    const el = box.current
    if (!el) return
    const css = getComputedStyle(document.documentElement)
    const axis = css.getPropertyValue('--muted').trim() || '#888'
    const grid = css.getPropertyValue('--grid').trim() || 'rgba(128,128,128,.15)'
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: 56, values: (_u, vals) => vals.map((v) => `${v}${unit}`) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, dash: s.dash, spanGaps: false, points: { show: false } }))],
    }
    const p = new uPlot(opts, latest.current, el)
    plot.current = p
    const ro = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height }))
    ro.observe(el)
    return () => {
      ro.disconnect()
      p.destroy()
      plot.current = null
    }
    // shape stands in for series (a new array each render); unit and height are fixed per chart.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape])

  useEffect(() => {
    plot.current?.setData(data)
  }, [data])

  return <div className="chart" ref={box} data-testid={testId} />
}
