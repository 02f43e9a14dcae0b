// Mixed workload: 1 KiB payloads; every tenth task fails on its first attempt (then succeeds).
export default async function mixed(payload, ctx) {
  if (payload.i % 10 === 0 && ctx.task.attempt === 1) throw new Error('fails once')
  return null
}
