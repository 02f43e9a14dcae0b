import { useEffect, useRef } from 'react'
import flamegraph, { type FlameGraph as Chart } from 'd3-flame-graph'
// d3-flame-graph draws into a d3 selection; d3-selection comes with it (its dependency, same copy).
// Its stylesheet is imported by its own module.
import { select } from 'd3-selection'
import type { FlameNode } from './hierarchy.ts'

/**
 * The profile as a flame graph (d3-flame-graph: SVG, one rectangle per call path, width = samples).
 * Click a frame to zoom into it; `search` highlights matching frames. The chart is rebuilt when the
 * data or the width changes: it keeps its own DOM, so React only owns the container.
 */
export function FlameGraph({ data, search, onSelect }: { data: FlameNode; search: string; onSelect?: (name: string, location: string, value: number) => void }) {
  const box = useRef<HTMLDivElement | null>(null)
  const chart = useRef<Chart | null>(null)
  const onSelectRef = useRef(onSelect)
  useEffect(() => {
    onSelectRef.current = onSelect
  })

  useEffect(() => {
    const el = box.current
    if (!el) return
    const draw = (): void => {
      chart.current?.destroy()
      el.replaceChildren()
      const c = flamegraph()
        .width(Math.max(300, el.clientWidth))
        .cellHeight(18)
        .minFrameSize(1)
        .transitionDuration(0)
        .sort(true)
        .setLabelHandler((d) => {
          const loc = typeof d.data.location === 'string' && d.data.location ? ` ${d.data.location}` : ''
          return `${d.data.name}${loc}: ${d.value} samples (${((100 * d.value) / Math.max(1, data.value)).toFixed(1)}%)`
        })
        .onClick((d) => onSelectRef.current?.(d.data.name, typeof d.data.location === 'string' ? d.data.location : '', d.value))
      select(el).datum(data).call(c)
      chart.current = c
    }
    draw()
    // Redraw on a width change (the panel resized), not on every pixel: a frame later at most.
    let frame = 0
    let width = el.clientWidth
    const observer = new ResizeObserver(() => {
      if (Math.abs(el.clientWidth - width) < 8) return
      width = el.clientWidth
      cancelAnimationFrame(frame)
      frame = requestAnimationFrame(draw)
    })
    observer.observe(el)
    return () => {
      observer.disconnect()
      cancelAnimationFrame(frame)
      chart.current?.destroy()
      chart.current = null
    }
  }, [data])

  useEffect(() => {
    const c = chart.current
    if (!c) return
    if (search.trim()) c.search(search.trim())
    else c.clear()
  }, [search, data])

  return <div ref={box} className="flame-graph" data-testid="flame-graph" />
}
