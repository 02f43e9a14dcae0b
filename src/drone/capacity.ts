/**
 * A type's capacity in a drone (CONTRACT.md "Capacity default"): `bufferPerWorker × processes`, and
 * never less than `2 × concurrency × processes`, summed over the type's definitions. Below twice the
 * slots a drone holds fewer tasks than it can run, and every slot waits out a claim round trip:
 * with concurrency 50 and the old plain 15 per process, 2,248 tasks/s against 12,811 tuned (issue #9).
 */
export function typeCapacity(
  bufferPerWorker: number,
  definitions: ReadonlyArray<{ processes: number; concurrency: number }>,
): number {
  let processes = 0
  let slots = 0
  for (const d of definitions) {
    processes += d.processes
    slots += d.processes * d.concurrency
  }
  return Math.max(bufferPerWorker * processes, 2 * slots)
}
