/**
 * Example worker `io` (slow, I/O-like). Waits `payload.ms` milliseconds (default 200) as a network
 * call or a disk write would, then returns. It honours `ctx.signal`: a cancel, a timeout or a shutdown
 * ends the wait at once and fails the attempt with the signal's reason, so nothing lingers.
 *
 *   swarmage enqueue io '{"ms": 500}'
 */
export default async function io(payload, ctx) {
  const ms = Number.isFinite(payload?.ms) ? Math.max(0, Math.min(payload.ms, 3_600_000)) : 200
  const started = Date.now()
  if (ms > 0) await sleep(ms, ctx.signal)
  else ctx.signal.throwIfAborted()
  return { waitedMs: Date.now() - started }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    function onAbort() {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
