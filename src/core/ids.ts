import { randomFillSync } from 'node:crypto'

/**
 * Task ids: UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter for ids made
 * in the same millisecond (method 1 of the RFC, so one process's ids sort in creation order), and 62
 * random bits.
 *
 * Why not random (version 4) ids: every claim and completion in PostgreSQL writes a new row version
 * and so a new primary-key entry. With random ids those entries land on every leaf page of the index
 * (each dirtied page is written, and after a checkpoint written whole to the WAL); with time-ordered
 * ids, tasks claimed together were made together and their entries share a few pages. Measured with
 * `bench/tools/sql-ceiling.ts` (claim + complete, one connection, 100,000 tasks): 14–17k rows/s with
 * version 4 ids, 19–21k with version 7. SQLite's id index gains the same locality.
 *
 * An id tells when its task was made (to the millisecond), as a creation timestamp would; ids are
 * not secrets (nothing is authorised by knowing one).
 */
const POOL_BYTES = 8192
const pool = Buffer.alloc(POOL_BYTES)
let poolAt = POOL_BYTES

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

let lastMs = 0
let counter = 0

/** 10 random bytes' worth of offset into the pool, refilled in bulk (one syscall per ~800 ids). */
function randomOffset(): number {
  if (poolAt + 10 > POOL_BYTES) {
    randomFillSync(pool)
    poolAt = 0
  }
  const at = poolAt
  poolAt += 10
  return at
}

export function uuidv7(): string {
  const r = randomOffset()
  let ms = Date.now()
  if (ms > lastMs) {
    lastMs = ms
    // A random start below the half keeps ids unpredictable yet leaves room to count up.
    counter = pool[r]! & 0x7ff
  } else {
    // Same millisecond (or the clock stepped back): count on; past 4095, borrow the next millisecond.
    counter++
    if (counter > 0xfff) {
      lastMs++
      counter = 0
    }
    ms = lastMs
  }
  const hi = Math.floor(ms / 0x10000) // the top 32 of the 48 time bits
  const lo = ms % 0x10000
  const b = pool
  return (
    HEX[(hi >>> 24) & 0xff]! + HEX[(hi >>> 16) & 0xff]! + HEX[(hi >>> 8) & 0xff]! + HEX[hi & 0xff]! + '-' +
    HEX[lo >>> 8]! + HEX[lo & 0xff]! + '-' +
    HEX[0x70 | (counter >>> 8)]! + HEX[counter & 0xff]! + '-' +
    HEX[0x80 | (b[r + 1]! & 0x3f)]! + HEX[b[r + 2]!]! + '-' +
    HEX[b[r + 3]!]! + HEX[b[r + 4]!]! + HEX[b[r + 5]!]! + HEX[b[r + 6]!]! + HEX[b[r + 7]!]! + HEX[b[r + 8]!]!
  )
}
