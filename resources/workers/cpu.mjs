/**
 * Example worker `cpu` (CPU-bound). Hashes a buffer of `payload.bytes` (default 4096) with SHA-256,
 * `payload.rounds` times (default 2000), feeding each digest back in, and reports progress every
 * tenth of the way. Returns the final digest.
 *
 * It yields to the event loop between chunks (setImmediate) so a cancel or timeout (ctx.signal) is
 * noticed within one chunk, not at the end: a CPU loop that never yields cannot be aborted.
 *
 *   swarmage enqueue cpu '{"rounds": 5000}'
 */
import { createHash } from 'node:crypto'

export default async function cpu(payload, ctx) {
  const rounds = clampInt(payload?.rounds, 2000, 1, 10_000_000)
  const bytes = clampInt(payload?.bytes, 4096, 1, 16 * 1024 * 1024)
  let data = Buffer.alloc(bytes, ctx.task.id)
  const chunk = Math.max(1, Math.ceil(rounds / 10))
  for (let done = 0; done < rounds; ) {
    ctx.signal.throwIfAborted()
    const end = Math.min(rounds, done + chunk)
    for (; done < end; done++) data = Buffer.concat([createHash('sha256').update(data).digest(), data.subarray(32)])
    ctx.progress(Math.round((done / rounds) * 100) / 100)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { digest: data.subarray(0, 32).toString('hex'), rounds, bytes }
}

function clampInt(value, fallback, min, max) {
  return Number.isInteger(value) ? Math.min(max, Math.max(min, value)) : fallback
}
