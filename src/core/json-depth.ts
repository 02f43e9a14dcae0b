/**
 * A JSON value from outside (a worker definition's config typed into the console) nested beyond any
 * real configuration: refused as input, instead of overflowing the stack later in JSON.stringify or
 * a structured clone ("Maximum call stack size exceeded", answered as `internal`; issue #10).
 */
export const JSON_MAX_DEPTH = 64

/** Whether `value` nests objects or arrays deeper than `max` levels. Iterative: it cannot overflow itself. */
export function jsonDeeperThan(value: unknown, max: number = JSON_MAX_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth > max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}
