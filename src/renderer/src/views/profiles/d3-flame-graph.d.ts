// d3-flame-graph 5 and d3-selection ship no types: the little of them the flame graph view uses.
declare module 'd3-flame-graph' {
  export interface FlameGraphNodeData {
    name: string
    value: number
    children?: FlameGraphNodeData[]
  }
  /** A laid-out node as the callbacks see it (d3-hierarchy's HierarchyNode). */
  export interface FlameGraphNode {
    data: FlameGraphNodeData & Record<string, unknown>
    value: number
  }
  export interface FlameGraph {
    (selection: unknown): void
    width(w: number): FlameGraph
    cellHeight(h: number): FlameGraph
    minFrameSize(px: number): FlameGraph
    transitionDuration(ms: number): FlameGraph
    sort(on: boolean): FlameGraph
    inverted(on: boolean): FlameGraph
    title(t: string): FlameGraph
    selfValue(on: boolean): FlameGraph
    setLabelHandler(fn: (node: FlameGraphNode) => string): FlameGraph
    onClick(fn: (node: FlameGraphNode) => void): FlameGraph
    search(term: string): void
    clear(): void
    resetZoom(): void
    update(data?: FlameGraphNodeData): void
    destroy(): void
  }
  export default function flamegraph(): FlameGraph
}

declare module 'd3-selection' {
  export interface Selection {
    datum(data: unknown): Selection
    call(fn: (selection: Selection) => void): Selection
  }
  export function select(element: Element): Selection
}
