/**
 * Lays out the postback map: one column per depth (a type's longest chain of parents among the
 * edges), types sorted by name within a column. Cycles (a type enqueueing an ancestor) are cut by
 * capping depth at the number of types, so the relaxation ends; self-loops do not count.
 */
export const NODE_W = 140
export const NODE_H = 30
const GAP_X = 110
const GAP_Y = 26
/** Room above the first row for self-loops, and below the last for backward edges. */
const MARGIN_TOP = 50
const MARGIN_BOTTOM = 70
const MARGIN_X = 20

export interface PlacedNode {
  x: number
  y: number
  depth: number
}

export function layoutPostbacks(edges: ReadonlyArray<{ from: string; to: string }>): { nodes: Map<string, PlacedNode>; width: number; height: number } {
  const types = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort()
  const depth = new Map(types.map((t) => [t, 0]))
  const cap = types.length - 1
  for (let round = 0; round < types.length; round++) {
    let changed = false
    for (const e of edges) {
      if (e.from === e.to) continue
      const d = Math.min(cap, depth.get(e.from)! + 1)
      if (d > depth.get(e.to)!) {
        depth.set(e.to, d)
        changed = true
      }
    }
    if (!changed) break
  }
  const columns = new Map<number, string[]>()
  for (const t of types) {
    const d = depth.get(t)!
    const col = columns.get(d) ?? []
    col.push(t)
    columns.set(d, col)
  }
  const nodes = new Map<string, PlacedNode>()
  let rows = 0
  const used = [...columns.keys()].sort((a, b) => a - b)
  used.forEach((d, x) => {
    const col = columns.get(d)!
    rows = Math.max(rows, col.length)
    col.forEach((t, y) => nodes.set(t, { x: MARGIN_X + x * (NODE_W + GAP_X), y: MARGIN_TOP + y * (NODE_H + GAP_Y), depth: x }))
  })
  return {
    nodes,
    width: MARGIN_X * 2 + used.length * NODE_W + Math.max(0, used.length - 1) * GAP_X,
    height: MARGIN_TOP + rows * NODE_H + Math.max(0, rows - 1) * GAP_Y + MARGIN_BOTTOM,
  }
}
