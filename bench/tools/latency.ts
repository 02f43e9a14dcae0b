// Where enqueue→start latency goes on one backend: timestamps of each step for N tasks sent one at a
// time to an idle drone (not part of bench:peers).   node --import tsx bench/tools/latency.ts postgres [n]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { Drone, openQueue } from '../../src/index.ts'
import { PG, sleep } from '../lib.ts'
import { workers } from '../runners/swarmage-config.ts'

const backend = (process.argv[2] ?? 'postgres') as 'sqlite' | 'postgres'
const n = Number(process.argv[3] ?? 200)
const schema = `sw_lat_${process.pid}`
const dir = mkdtempSync(join(tmpdir(), 'swarmage-lat-'))
const address = backend === 'postgres' ? `${PG}?schema=${schema}` : `sqlite:${join(dir, 'swarm.db')}`
const queue = await openQueue(address, { migrate: true })
const now = () => performance.timeOrigin + performance.now()
const d = queue.driver as unknown as Record<string, (...a: any[]) => any>
let mark: Record<string, number> = {}
const origSub = d.signalSubscribe!.bind(d)
d.signalSubscribe = (listener: (s: unknown) => void) => origSub((s: unknown) => { mark.signal ??= now(); listener(s) })
const origClaim = d.taskClaim!.bind(d)
d.taskClaim = async (p: unknown) => { const t = now(); const r = await origClaim(p); if ((r as unknown[]).length) { mark.claimStart = t; mark.claimEnd = now() } return r }
const drone = new Drone({ queue, workers: { lat: workers.lat }, drone: { name: `lat-${process.pid}` }, localQueuePath: join(dir, 'local.db') })
const steps: Record<string, number[]> = {}
let resolve: (() => void) | null = null
drone.on('event', (e: any) => {
  if (e.kind === 'dispatched') mark.dispatched ??= now()
  if (e.kind === 'started') { mark.started = e.at; mark.startedSeen = now(); resolve?.() }
})
await drone.start()
await sleep(300)
for (let i = 0; i < n; i++) {
  mark = {}
  const done = new Promise<void>((r) => (resolve = r))
  const t0 = now()
  await queue.enqueue('lat', { i })
  mark.enqueued = now()
  await done
  for (const k of ['enqueued', 'signal', 'claimStart', 'claimEnd', 'dispatched', 'started', 'startedSeen']) (steps[k] ??= []).push((mark[k] ?? NaN) - t0)
  await sleep(5)
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`${backend}: median ms after the enqueue call began:`, Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, Number(med(v).toFixed(2))])))
await drone.stop()
await queue.close()
if (backend === 'postgres') { const c = new pg.Client({ connectionString: PG }); await c.connect(); await c.query(`drop schema if exists "${schema}" cascade`); await c.end() }
rmSync(dir, { recursive: true, force: true })
process.exit(0)
