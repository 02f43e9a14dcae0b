/**
 * Example worker `flaky` (failures and retries). Waits `payload.ms` (default 50), then fails with
 * probability `payload.failRate` (0–1, default 0.3), so the console shows attempts, retries with
 * backoff and, when every attempt fails, a task in state `failed` with its error. `payload.permanent`
 * true makes a failure permanent (no retry).
 *
 *   swarmage enqueue flaky '{"failRate": 0.5}' --max-attempts 3
 */
export default async function flaky(payload, ctx) {
  const failRate = Number.isFinite(payload?.failRate) ? Math.min(1, Math.max(0, payload.failRate)) : 0.3
  const ms = Number.isFinite(payload?.ms) ? Math.max(0, payload.ms) : 50
  if (ms > 0) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms)
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true })
    })
  }
  if (Math.random() < failRate) {
    ctx.log.warn(`attempt ${ctx.task.attempt} of ${ctx.task.maxAttempts} is failing on purpose`, { failRate })
    const error = new Error(`flaky failure (failRate ${failRate}, attempt ${ctx.task.attempt})`)
    if (payload?.permanent === true) error.permanent = true
    throw error
  }
  return { ok: true, attempt: ctx.task.attempt }
}
