/**
 * A smaller V8 heap for the processes Swarmage itself starts to run drones (`swarmage drone`,
 * `swarmage console`), not for a drone embedded in someone else's process: V8's flags are the
 * whole process's, so `new Drone()` never touches them.
 *
 * Why: a drone's live heap is ~11–15 MB, but by default V8 lets its young generation grow to two
 * 16 MB semi-spaces and its old generation to several times the live size before a major GC, so a
 * 50,000-task burn-down peaked at 130–145 MB of RSS, nearly all of it garbage (docs/performance.md
 * "Fourth round — memory"). Two flags bound it, and both are read by V8 each time it resizes:
 *
 * - `--semi-space-growth-factor`: `--max-semi-space-size` is read once, when the heap is set up, so
 *   setting it after start-up changes nothing (checked: the new space still grows to 32 MB); the
 *   growth factor is read at every growth, so the young generation is let grow (factor 2) until it
 *   reaches SEMI_SPACE_MB per semi-space and then held there (factor 1). It is checked after every
 *   minor GC, because V8 also shrinks the new space when the process idles, and must then be let
 *   grow again. (A factor of 0 crashes V8: never set.)
 * - `--heap-growing-percent`: the old generation's next major GC at live size × 1.5 instead of V8's
 *   dynamic factor (up to 4× on a small heap).
 *
 * Measured on a 50,000-task burn-down of a drone process alone: peak RSS 143–146 MB → 88–90 MB, CPU
 * per task within the noise of the runs (docs/performance.md). An operator who gives any heap-sizing
 * flag of their own (on node's command line or in NODE_OPTIONS) keeps V8 exactly as they set it.
 *
 * Only on V8 11 (Node 20 and 21), where this was measured: later V8s give the growth factor a minimum
 * of 2 (a flag implication) and reshaped the young generation, so the run-time trick is unverified
 * there and nothing is changed (a flag V8 does not know would also print an error on stderr).
 */
import { PerformanceObserver } from 'node:perf_hooks'
import v8 from 'node:v8'

/** The young generation's bound per semi-space (the new space is two of them). */
export const SEMI_SPACE_MB = 4
/** The old generation's growth between major GCs, as V8's `--heap-growing-percent`. */
export const HEAP_GROWING_PERCENT = 50

const OPERATOR_FLAGS = /--(max[-_]semi[-_]space[-_]size|min[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|heap[-_]growing[-_]percent|optimize[-_]for[-_]size)\b/

let observer: PerformanceObserver | null = null

/** True when the operator sized the heap themselves: their flags win. */
export function operatorSizedHeap(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return OPERATOR_FLAGS.test(execArgv.join(' ')) || OPERATOR_FLAGS.test(nodeOptions)
}

/** V8 11.x: where the run-time flags were checked (see the module comment). */
export function heapBoundSupported(v8Version: string = process.versions.v8): boolean {
  return Number(v8Version.split('.')[0]) === 11
}

function newSpaceBytes(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size
  return 0
}

/**
 * Bounds this process's heap for running drones (see the module comment); once per process, before
 * the drones start. Returns false, changing nothing, when the operator gave heap flags of their own.
 */
export function useDroneHeap(): boolean {
  if (observer) return true
  if (!heapBoundSupported() || operatorSizedHeap()) return false
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  // space_size counts both semi-spaces. Growth doubles from a power of two, so it lands on the bound.
  const bound = 2 * SEMI_SPACE_MB * 1024 * 1024
  let factor = 0
  const check = (): void => {
    const want = newSpaceBytes() < bound ? 2 : 1
    if (want !== factor) v8.setFlagsFromString(`--semi-space-growth-factor=${want}`)
    factor = want
  }
  check()
  // Once per delivery of GC entries (they come batched, after the GC): the new space is resized by
  // scavenges and by the major GCs that shrink it when the process idles.
  observer = new PerformanceObserver(check)
  observer.observe({ entryTypes: ['gc'] })
  return true
}
