import { queryOptions } from '@tanstack/react-query'
import { apiQuery } from './api-query.ts'

/**
 * Queries of "what a drone holds" and the postback map (issue #12 item 6). Nothing pushes them: they
 * are re-read on a timer, and only while a component that reads them is mounted (the panel is open).
 */

/** Rows asked for: a drone may hold thousands; the server sends counts of all and the first ROWS. */
export const HOLDINGS_ROWS = 200
const HOLDINGS_POLL_MS = 2000
const POSTBACKS_POLL_MS = 2000
const QUEUE_DRONES_POLL_MS = 5000

/** A console drone's tasks in hand (its ledger). */
export const droneHoldingsQuery = (id: string) => queryOptions({ ...apiQuery('drones.holdings', { id, limit: HOLDINGS_ROWS }), refetchInterval: HOLDINGS_POLL_MS })
/** Any drone's leases, as the global queue knows them. */
export const leasedHoldingsQuery = (connectionId: string, droneId: string) =>
  queryOptions({ ...apiQuery('queue.droneHoldings', { connectionId, droneId, limit: HOLDINGS_ROWS }), refetchInterval: HOLDINGS_POLL_MS })
/** The drone registry of a queue (every machine's drones). */
export const queueDronesQuery = (connectionId: string) => queryOptions({ ...apiQuery('queue.drones', { connectionId }), refetchInterval: QUEUE_DRONES_POLL_MS })
export const postbacksQuery = (windowMs: number) => queryOptions({ ...apiQuery('flow.postbacks', { windowMs }), refetchInterval: POSTBACKS_POLL_MS })
