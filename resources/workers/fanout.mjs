/**
 * Example worker `fanout` (postbacks). Enqueues `payload.children` (default 3, at most 100) child
 * tasks of type `payload.childType` (default `io`) through `ctx.enqueue`, each with
 * `{ ms: payload.ms ?? 100, index }`; their `parentId` is this task, so the console shows them as its
 * children. Logs each child's id and returns them all.
 *
 *   swarmage enqueue fanout '{"children": 5, "ms": 50}'
 */
export default async function fanout(payload, ctx) {
  const count = Number.isInteger(payload?.children) ? Math.max(0, Math.min(payload.children, 100)) : 3
  const childType = typeof payload?.childType === 'string' ? payload.childType : 'io'
  const ms = Number.isFinite(payload?.ms) ? payload.ms : 100
  ctx.log.info(`fanning out ${count} ${childType} tasks`, { count, childType })
  const ids = []
  for (let index = 0; index < count; index++) {
    ctx.signal.throwIfAborted()
    const id = await ctx.enqueue(childType, { ms, index })
    ctx.log.debug(`child ${index + 1}/${count} enqueued`, { id })
    ids.push(id)
    ctx.progress((index + 1) / count)
  }
  return { children: ids }
}
