import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { ApiResults } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { postbacksQuery } from '../../data/holdings-queries.ts'
import { fmtCount } from '../../lib/format.ts'
import { layoutPostbacks, NODE_H, NODE_W } from './postback-layout.ts'
import '../drones/holdings.css'

type MapView = ApiResults['flow.postbacks']
type Edge = MapView['edges'][number]

const WINDOWS = [
  { ms: 60_000, label: '1 min' },
  { ms: 5 * 60_000, label: '5 min' },
  { ms: 10 * 60_000, label: '10 min' },
] as const

/**
 * The system's shape: which task types enqueue which (postbacks), with tasks/min on each edge over
 * a window, from the live events of the drones this console runs (src/api/postbacks.ts). Polled
 * every 2 s: one small read of counters the server keeps anyway.
 */
export function PostbackMap() {
  const [windowMs, setWindowMs] = useState<number>(WINDOWS[0].ms)
  // The previous window's map stays drawn while another window is read.
  const q = useQuery({ ...postbacksQuery(windowMs), placeholderData: keepPreviousData })
  const map = q.data
  const error = q.error
  return (
    <div className="panel postback-map" data-testid="postback-map">
      <div className="view-head">
        <h3>Postback map</h3>
        <span className="muted">which types enqueue which, tasks/min over the last</span>
        <select value={windowMs} onChange={(e) => setWindowMs(Number(e.target.value))} data-testid="postback-window" aria-label="window">
          {WINDOWS.map((w) => (
            <option key={w.ms} value={w.ms}>
              {w.label}
            </option>
          ))}
        </select>
      </div>
      <ErrorBox error={error} what="Could not read the postback map" testId="postback-error" />
      {map && map.edges.length === 0 && (
        <p className="muted" data-testid="postback-empty">
          No postbacks in this window. A worker that calls <code>ctx.enqueue</code> draws an edge from its type to the new task&apos;s type.
        </p>
      )}
      {map && map.edges.length > 0 && <Graph edges={map.edges} />}
      {map && map.edges.length > 0 && (
        <table className="table compact" data-testid="postback-edges">
          <thead>
            <tr>
              <th>From</th>
              <th>Enqueues</th>
              <th className="num">Tasks</th>
              <th className="num">Tasks/min</th>
            </tr>
          </thead>
          <tbody>
            {map.edges.map((e) => (
              <tr key={`${e.from}>${e.to}`} data-testid={`postback-edge-${e.from}-${e.to}`}>
                <td className="mono">{e.from}</td>
                <td className="mono">{e.to}</td>
                <td className="num" data-testid="postback-count">
                  {fmtCount(e.count)}
                </td>
                <td className="num" data-testid="postback-rate">
                  {rate(e.perMinute)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {map && (
        <p className="muted">
          Counted from the drones this console runs ({map.drones.length ? map.drones.join(', ') : 'none running'}) over {Math.round(map.windowMs / 1000)} s; drones elsewhere enqueue unseen.
        </p>
      )}
    </div>
  )
}

function Graph({ edges }: { edges: Edge[] }) {
  const { nodes, width, height } = layoutPostbacks(edges)
  const max = Math.max(...edges.map((e) => e.perMinute), 1)
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="postback map" data-testid="postback-graph">
      <defs>
        <marker id="pb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
          <path className="pb-arrow" d="M 0 0 L 10 5 L 0 10 z" />
        </marker>
      </defs>
      {edges.map((e) => {
        const a = nodes.get(e.from)!
        const b = nodes.get(e.to)!
        const w = 1 + 5 * (e.perMinute / max)
        let d: string
        let lx: number
        let ly: number
        if (e.from === e.to) {
          // A type enqueueing its own type: a loop above its box.
          const x = a.x + NODE_W / 2
          d = `M ${x - 20} ${a.y} C ${x - 40} ${a.y - 45}, ${x + 40} ${a.y - 45}, ${x + 20} ${a.y}`
          lx = x
          ly = a.y - 38
        } else {
          const x1 = a.x + NODE_W
          const y1 = a.y + NODE_H / 2
          const x2 = b.x
          const y2 = b.y + NODE_H / 2
          // Backward edges (a cycle) bend below the boxes so they do not hide the forward ones.
          const back = x2 <= x1
          const bend = back ? Math.max(NODE_H * 2, Math.abs(x1 - x2) / 3) : 0
          const cx = Math.abs(x2 - x1) / 2
          d = back ? `M ${x1} ${y1} C ${x1 + 60} ${y1 + bend}, ${x2 - 60} ${y2 + bend}, ${x2} ${y2}` : `M ${x1} ${y1} C ${x1 + cx} ${y1}, ${x2 - cx} ${y2}, ${x2} ${y2}`
          lx = (x1 + x2) / 2
          ly = (y1 + y2) / 2 + (back ? bend * 0.75 : 0) - 6
        }
        return (
          <g key={`${e.from}>${e.to}`} className="pb-edge" data-testid={`postback-arc-${e.from}-${e.to}`}>
            <path d={d} strokeWidth={w} markerEnd="url(#pb-arrow)">
              <title>
                {e.from} → {e.to}: {fmtCount(e.count)} tasks, {rate(e.perMinute)}/min
              </title>
            </path>
            <text x={lx} y={ly} textAnchor="middle">
              {rate(e.perMinute)}/min
            </text>
          </g>
        )
      })}
      {[...nodes].map(([type, n]) => (
        <g key={type} className="pb-node" data-testid={`postback-node-${type}`} transform={`translate(${n.x} ${n.y})`}>
          <rect width={NODE_W} height={NODE_H} rx="6" />
          <text x={NODE_W / 2} y={NODE_H / 2 + 4} textAnchor="middle">
            {type.length > 18 ? `${type.slice(0, 17)}…` : type}
          </text>
        </g>
      ))}
    </svg>
  )
}

function rate(perMinute: number): string {
  return perMinute >= 100 ? fmtCount(Math.round(perMinute)) : perMinute.toFixed(1)
}
