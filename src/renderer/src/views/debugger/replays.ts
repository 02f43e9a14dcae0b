/** Replays started from this page, by id: their events as the 'replay' pushes bring them, in order. */
import { create } from 'zustand'
import type { ReplayEvent } from '../../../../api/replay.ts'

export const useReplays = create<{ events: Record<string, ReplayEvent[]> }>(() => ({ events: {} }))

export function applyReplayEvent(replayId: string, event: ReplayEvent): void {
  useReplays.setState((s) => ({ events: { ...s.events, [replayId]: [...(s.events[replayId] ?? []), event] } }))
}
