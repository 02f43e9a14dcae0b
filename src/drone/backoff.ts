/**
 * Retry delays: exponential backoff with "equal-ish" jitter. The ceiling for attempt n is
 * min(maxMs, baseMs × 2^(n-1)); the delay is that ceiling × a random factor in [0.5, 1], so a burst of
 * tasks failing together (a dependency outage) spreads its retries over half the window instead of
 * returning as one thundering herd, while never retrying sooner than half the nominal delay.
 */
export interface BackoffOptions {
  baseMs: number
  maxMs: number
}

/** Delay before the attempt after `attempt` (1-based: attempt 1 failed → first retry). */
export function retryDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt))
  // Exponent capped at 60: 2^(n-1) is Infinity past n≈1024, and 0 × Infinity is NaN.
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(n - 1, 60))
  return Math.round(ceiling * (0.5 + 0.5 * random()))
}

/**
 * Whether a failed attempt is retried, and after how long: null when the failure is permanent or
 * the attempts are exhausted (the task ends `failed`).
 */
export function retryDecision(
  params: { attempt: number; maxAttempts: number; permanent: boolean },
  options: BackoffOptions,
  random: () => number = Math.random,
): number | null {
  if (params.permanent || params.attempt >= params.maxAttempts) return null
  return retryDelayMs(params.attempt, options, random)
}
