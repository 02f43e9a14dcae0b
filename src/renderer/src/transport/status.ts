import { create } from 'zustand'

export type TransportKind = 'bridge' | 'websocket'
export type LinkState = 'connecting' | 'open' | 'closed'

export interface TransportStatus {
  kind: TransportKind
  state: LinkState
  /** consecutive failed attempts since the last open */
  attempt: number
  /** epoch ms of the next reconnect try, when closed */
  retryAt: number | null
  lastError: string | null
  /** increments on every (re)open: views reload their lists when it changes */
  opens: number
}

export const useTransportStatus = create<TransportStatus>(() => ({
  kind: 'websocket',
  state: 'connecting',
  attempt: 0,
  retryAt: null,
  lastError: null,
  opens: 0,
}))
