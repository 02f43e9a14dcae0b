import { useEffect, useState } from 'react'
import { useFlow } from '../../stores/flow.ts'

/**
 * The flow store bumps at most once per frame; the diagram needs 4 redraws a second and charts 1, so
 * views sample it on a timer instead of rendering on every bump. Also ticks when nothing arrives, so
 * rates decay to zero when the flow stops.
 */
export function useFlowTick(ms: number): number {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const t = setInterval(() => setTick(useFlow.getState().version * 1e6 + Math.floor(Date.now() / ms)), ms)
    return () => clearInterval(t)
  }, [ms])
  return tick
}
