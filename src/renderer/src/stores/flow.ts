import { create } from 'zustand'
import type { FlowDelta } from '../../../api/contract.ts'
import type { DroneEvent } from '../../../core/events.ts'
import { FlowSeries } from '../lib/flow-series.ts'

/** An hour of per-type charts (the longest span the Flow charts offer, CHART_SPANS); a minute of per-drone edge rates. */
export const byType = new FlowSeries(3600)
export const byDrone = new FlowSeries(60)

const RECENT_MAX = 200
const PROGRESS_MAX = 2000

/** Mutable buffers outside React; the store only carries a version so subscribers re-read once per frame. */
export const recent: Array<DroneEvent & { droneId: string }> = []
export const progress = new Map<string, unknown>()

interface FlowState {
  version: number
  bump(): void
}

export const useFlow = create<FlowState>((set) => ({
  version: 0,
  bump: () => set((s) => ({ version: s.version + 1 })),
}))

/** Folds one delta into the buffers; the caller bumps the version once per batch. */
export function applyFlowDelta(delta: FlowDelta): void {
  byType.add(delta, (type) => type)
  byDrone.add(delta, () => delta.droneId)
  for (const e of delta.recent) {
    recent.push({ ...e, droneId: delta.droneId })
    if (e.kind === 'progress' && 'taskId' in e) {
      progress.delete(e.taskId)
      progress.set(e.taskId, e.progress)
      if (progress.size > PROGRESS_MAX) progress.delete(progress.keys().next().value!)
    }
  }
  if (recent.length > RECENT_MAX) recent.splice(0, recent.length - RECENT_MAX)
}
