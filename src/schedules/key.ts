/**
 * A tick's task key, `schedule:NAME:TICK_ISO`, and its inverse. Kept apart from definition.ts (croner)
 * because every task row read maps its key through scheduleOfKey.
 */

/** A schedule name: no colon, so `schedule:NAME:TICK_ISO` splits back into name and tick unambiguously. */
export const SCHEDULE_NAME_RE = /^[A-Za-z0-9_.-]{1,100}$/

/** The key of a tick's task: a second enqueue of the same tick is a no-op while the first is live. */
export function tickKey(name: string, tick: Date): string {
  return `schedule:${name}:${tick.toISOString()}`
}

const KEY_RE = /^schedule:([A-Za-z0-9_.-]{1,100}):(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$/

/** `schedule: {name, tick}` of a task, derived from its key (docs/architecture.md#schedules). */
export function scheduleOfKey(key: string | null): { name: string; tick: string } | null {
  if (key === null || !key.startsWith('schedule:')) return null
  const m = KEY_RE.exec(key)
  return m ? { name: m[1]!, tick: m[2]! } : null
}
