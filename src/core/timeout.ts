/**
 * `p`'s outcome, or an Error with `message` once `ms` pass, whichever comes first; the timer is
 * cleared either way. The work behind `p` is not cancelled: callers end it themselves (a replay's
 * process is killed, a LISTEN connection is ended).
 */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
