/**
 * Whole lists (drones, worker definitions) reach the cache two ways: pushed, and read by a query (on
 * load, on reconnect, after an action invalidates them). Pushes wait for the next animation frame
 * (stores/push.ts) while a reply is applied as soon as it arrives, so a push received before a reply
 * can be applied after it and put back what the reply had removed (a dismissed drone's card came back
 * for a frame). The socket keeps the server's order and the server builds a list reply synchronously,
 * so a push received before a reply is never newer than it: such a push is dropped.
 */
export type PushedList = 'drones.list' | 'workers.list'

const fetchedAt = new Map<PushedList, number>()

/** The page's monotonic clock, shared by receipts and replies. */
export const receivedNow = (): number => performance.now()

/** Called when a read of the list has resolved (its reply has arrived). */
export function listFetched(list: PushedList, at = receivedNow()): void {
  fetchedAt.set(list, at)
}

/** True when a push of the list received at `receivedAt` is older than the last reply. */
export function pushIsStale(list: PushedList, receivedAt: number | undefined): boolean {
  if (receivedAt === undefined) return false
  const fetched = fetchedAt.get(list)
  return fetched !== undefined && receivedAt < fetched
}
