// What flow control costs the claim, without a drone: one client claims and completes N tasks in batches
// of B (a drone's claim size) on PostgreSQL or SQLite, with no settings, type-wide limits, or every limit
// with tasks over 100 groups; every limit far above what is reached, so nothing is held back and the
// figure is the counting alone. Alternates the variants for R rounds; prints medians.
//   node --import tsx bench/tools/flow-claim.ts postgres|sqlite [tasks=20000] [batch=100] [rounds=3] [variants=0,1,2]
// (variants=0 alone also runs on a checkout from before flow control, for an A/B of the claim with none set)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TypeSettingsPatch } from '../../src/core/flow.ts'
import { openQueue } from '../../src/index.ts'
import { PG } from '../lib.ts'

const backend = (process.argv[2] ?? 'postgres') as 'postgres' | 'sqlite'
const N = Number(process.argv[3] ?? 20_000)
const B = Number(process.argv[4] ?? 100)
const R = Number(process.argv[5] ?? 3)
const HIGH = 1_000_000
const ALL_VARIANTS: Array<{ name: string; settings: TypeSettingsPatch | null; groups: boolean }> = [
  { name: 'no settings', settings: null, groups: false },
  { name: 'maxRunning + rate', settings: { maxRunning: HIGH, rate: `${HIGH}/1s` }, groups: false },
  { name: 'every limit, 100 groups', settings: { maxRunning: HIGH, rate: `${HIGH}/1s`, groupMaxRunning: HIGH, groupRate: `${HIGH}/1s` }, groups: true },
]
const VARIANTS = (process.argv[6] ?? '0,1,2').split(',').map((i) => ALL_VARIANTS[Number(i)]!)

async function once(v: (typeof VARIANTS)[number], round: number): Promise<{ claimUs: number; completeUs: number }> {
  const schema = `sw_flowclaim_${process.pid}_${round}`
  const dir = mkdtempSync(join(tmpdir(), 'swarmage-flowclaim-'))
  const address = backend === 'postgres' ? `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` : `sqlite:${join(dir, 'q.db')}`
  const queue = await openQueue(address, { migrate: true })
  try {
    if (v.settings) await queue.setTypeSettings('noop', v.settings)
    const opts = (i: number) => (v.groups ? { group: `g${i % 100}` } : {})
    for (let i = 0; i < N; i += 5000) {
      await queue.enqueueMany(Array.from({ length: Math.min(5000, N - i) }, (_, j) => ({ type: 'noop', payload: {}, options: opts(i + j) })))
    }
    const d = queue.driver
    let claimMs = 0
    let completeMs = 0
    for (let done = 0; done < N; ) {
      let t = performance.now()
      const claimed = await d.taskClaim({ droneId: 'bench', droneName: 'bench', wants: [{ type: 'noop', limit: B }], leaseMs: 60_000 })
      claimMs += performance.now() - t
      if (claimed.length === 0) throw new Error(`nothing claimed at ${done} of ${N} (${v.name})`)
      t = performance.now()
      await d.taskComplete({ droneId: 'bench', completions: claimed.map((c) => ({ id: c.id, leaseSeq: c.leaseSeq, outcome: { kind: 'succeeded', resultJson: 'null' } })) })
      completeMs += performance.now() - t
      done += claimed.length
    }
    return { claimUs: (claimMs * 1000) / N, completeUs: (completeMs * 1000) / N }
  } finally {
    await queue.close()
    rmSync(dir, { recursive: true, force: true })
    if (backend === 'postgres') {
      const c = new pg.Client({ connectionString: PG })
      await c.connect()
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await c.end()
    }
  }
}

const results = new Map<string, Array<{ claimUs: number; completeUs: number }>>(VARIANTS.map((v) => [v.name, []]))
for (let r = 0; r < R; r++) for (const v of VARIANTS) results.get(v.name)!.push(await once(v, r))
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const base = median(results.get(VARIANTS[0]!.name)!.map((x) => x.claimUs))
console.log(`${backend}, ${N} tasks, claims of ${B}, ${R} alternating rounds (medians; µs per task, one client):`)
for (const [name, xs] of results) {
  const claim = median(xs.map((x) => x.claimUs))
  console.log(`  ${name.padEnd(24)} claim ${claim.toFixed(1).padStart(6)} µs (+${(claim - base).toFixed(1)})  complete ${median(xs.map((x) => x.completeUs)).toFixed(1).padStart(6)} µs   claim runs: ${xs.map((x) => x.claimUs.toFixed(0)).join(' / ')}`)
}
