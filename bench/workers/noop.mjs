// The no-op worker of the benchmarks: returns at once, so the figures measure the queue, not the work.
export default async function noop() {
  return null
}
