/**
 * A `.cpuprofile` (V8's Profiler.stop result, Chrome DevTools' format) as the hierarchy d3-flame-graph
 * draws: one node per call path, `value` the samples in it and below it (the library's default: not
 * `selfValue`). The profile's own tree is already per call path (`nodes` with `children` ids), so
 * this is a walk, with the samples taken from the `samples` array (every sample names its leaf node)
 * rather than `hitCount`, which older V8s leave at 0 under some sampling modes.
 */

export interface CpuProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId?: string }
  hitCount?: number
  children?: number[]
}

export interface CpuProfile {
  nodes: CpuProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface FlameNode {
  name: string
  value: number
  children: FlameNode[]
  /** where the function is: `file.mjs:12` (1-based line), empty for V8's own entries */
  location: string
}

/** V8's pseudo-frames: the process waiting (idle), in its own code (program), collecting garbage. */
export const IDLE_NAMES = new Set(['(idle)'])

export function parseCpuProfile(text: string): CpuProfile {
  const p = JSON.parse(text) as Partial<CpuProfile>
  if (!Array.isArray(p.nodes) || typeof p.startTime !== 'number' || typeof p.endTime !== 'number') throw new Error('not a .cpuprofile: it has no nodes, startTime and endTime')
  return p as CpuProfile
}

/** The flame graph's root ("all samples"); `idle: false` leaves out the (idle) samples (a worker waiting for its next task). */
export function toFlameHierarchy(profile: CpuProfile, opts: { idle?: boolean } = {}): FlameNode {
  const byId = new Map<number, CpuProfileNode>()
  for (const n of profile.nodes) byId.set(n.id, n)
  const self = new Map<number, number>()
  if (profile.samples?.length) {
    for (const s of profile.samples) self.set(s, (self.get(s) ?? 0) + 1)
  } else {
    for (const n of profile.nodes) self.set(n.id, n.hitCount ?? 0)
  }
  // Child ids are listed by their parent: the root is the node nobody lists.
  const listed = new Set<number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) listed.add(c)
  const roots = profile.nodes.filter((n) => !listed.has(n.id))

  const build = (node: CpuProfileNode, depth: number): FlameNode | null => {
    if (!opts.idle && IDLE_NAMES.has(node.callFrame.functionName)) return null
    const children: FlameNode[] = []
    let value = self.get(node.id) ?? 0
    // Deep recursion in the profiled code must not overflow the renderer's stack: past 2,000 frames the rest is cut.
    if (depth < 2000) {
      for (const id of node.children ?? []) {
        const child = byId.get(id)
        const built = child ? build(child, depth + 1) : null
        if (built && built.value > 0) {
          children.push(built)
          value += built.value
        }
      }
    }
    return { name: frameName(node), value, children, location: frameLocation(node) }
  }

  const top: FlameNode[] = []
  let total = 0
  for (const r of roots) {
    // V8's root is "(root)": its children are the real top frames.
    const built = build(r, 0)
    if (!built) continue
    if (r.callFrame.functionName === '(root)') top.push(...built.children)
    else top.push(built)
  }
  for (const t of top) total += t.value
  return { name: 'all samples', value: total, children: top, location: '' }
}

function frameName(node: CpuProfileNode): string {
  const f = node.callFrame
  if (f.functionName) return f.functionName
  return f.url ? '(anonymous)' : '(root)'
}

function frameLocation(node: CpuProfileNode): string {
  const f = node.callFrame
  if (!f.url) return ''
  const file = f.url.split('/').pop() ?? f.url
  return `${file}:${f.lineNumber + 1}`
}

/** The functions with the most samples of their own, for the table beside the graph. */
export function topFunctions(root: FlameNode, limit = 15): Array<{ name: string; location: string; self: number; total: number }> {
  const acc = new Map<string, { name: string; location: string; self: number; total: number }>()
  const walk = (n: FlameNode, onStack: Set<string>): void => {
    const key = `${n.name} ${n.location}`
    const childSum = n.children.reduce((s, c) => s + c.value, 0)
    let e = acc.get(key)
    if (!e) acc.set(key, (e = { name: n.name, location: n.location, self: 0, total: 0 }))
    e.self += n.value - childSum
    // A recursive function counts its total once per stack.
    if (!onStack.has(key)) e.total += n.value
    const next = new Set(onStack).add(key)
    for (const c of n.children) walk(c, next)
  }
  for (const c of root.children) walk(c, new Set())
  return [...acc.values()].sort((a, b) => b.self - a.self).slice(0, limit)
}
