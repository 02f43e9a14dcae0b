/** The benchmark's worker: does nothing, so the figures measure the queue, the drone and the IPC. */
export default function noop(): null {
  return null
}
