/**
 * `npm run bench:peers`: Swarmage against graphile-worker 0.18, BullMQ 6.7 and pg-boss 12.38 on the
 * same PostgreSQL and Redis, side by side in one run: alternating order, several repetitions,
 * medians and ratios printed, results written to bench/results/peers-<time>.json.
 * Options: --reps 3 --tasks 50000 --latency 500 --mixed 20000 --only a,b (system keys below), --tsx.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunnerResult } from './lib.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const argv = process.argv.slice(2)
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt
}
const reps = Number(opt('reps', '3'))
const sizes = { tasks: Number(opt('tasks', '50000')), latency: Number(opt('latency', '500')), mixed: Number(opt('mixed', '20000')) }

const SYSTEMS: Record<string, { script: string; extra?: string[]; drones?: number; peer: boolean }> = {
  'graphile-worker': { script: 'runners/graphile-worker.ts', peer: true },
  bullmq: { script: 'runners/bullmq.ts', peer: true },
  'pg-boss': { script: 'runners/pg-boss.ts', peer: true },
  'swarmage-pg': { script: 'runners/swarmage.ts', extra: ['postgres'], peer: false },
  'swarmage-sqlite': { script: 'runners/swarmage.ts', extra: ['sqlite'], peer: false },
  'swarmage-pg-2': { script: 'runners/swarmage.ts', extra: ['postgres'], drones: 2, peer: false },
  'swarmage-pg-4': { script: 'runners/swarmage.ts', extra: ['postgres'], drones: 4, peer: false },
}
const only = opt('only', '')
const keys = only ? only.split(',') : Object.keys(SYSTEMS)

/**
 * Every runner runs as plain JavaScript: bundled here with esbuild (our code and the runners; packages
 * stay imports) into bench/.build, then started with plain `node`, as a deployed app runs (the package
 * ships compiled JavaScript). Under `--import tsx` every process would carry tsx's loader thread (~40 MB
 * RSS, ~300 ms of start-up CPU), peers and Swarmage alike. `--tsx` runs the sources instead.
 */
const viaTsx = argv.includes('--tsx')
const built = join(here, '.build')
if (!viaTsx) {
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx'))('esbuild') as {
    buildSync(o: Record<string, unknown>): unknown
  }
  const entries = [...new Set(Object.values(SYSTEMS).map((s) => s.script)), 'runners/swarmage-drone.ts']
  esbuild.buildSync({
    entryPoints: [...entries.map((e) => join(here, e)), join(here, '../src/workers/host.ts')],
    outdir: built,
    entryNames: '[name]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  })
}
const entry = (script: string) => (viaTsx ? ['--import', 'tsx', join(here, script)] : [join(built, script.replace(/^runners\//, '').replace(/\.ts$/, '.js'))])

function runOnce(key: string): Promise<RunnerResult> {
  const s = SYSTEMS[key]!
  const args = JSON.stringify({ ...sizes, drones: s.drones ?? 1 })
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry(s.script), args, ...(s.extra ?? [])], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (!line) return reject(new Error(`${key} exited ${code} without a result:\n${out.slice(-2000)}`))
      resolve(JSON.parse(line.slice(7)) as RunnerResult)
    })
  })
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN
}

const runs: Record<string, RunnerResult[]> = Object.fromEntries(keys.map((k) => [k, []]))
for (let r = 0; r < reps; r++) {
  const order = keys.map((_, i) => keys[(i + r) % keys.length]!) // rotate so no system always runs first
  for (const key of order) {
    process.stderr.write(`rep ${r + 1}/${reps}: ${key}… `)
    try {
      const res = await runOnce(key)
      runs[key]!.push(res)
      process.stderr.write(`${Math.round(res.burnPerSec ?? 0)} tasks/s\n`)
    } catch (err) {
      process.stderr.write(`failed: ${(err as Error).message.split('\n')[0]}\n`)
    }
  }
}

interface Row { key: string; system: string; burn: number; warm: number; bulk: number; p50: number; p99: number; mixed: number; workerRss: number; droneRss: number; droneBurnRss: number; duplicates: number | null }
const rows: Row[] = keys.filter((k) => runs[k]!.length).map((k) => {
  const rs = runs[k]!
  return {
    key: k,
    system: rs[0]!.system,
    burn: median(rs.map((x) => x.burnPerSec ?? NaN)),
    warm: median(rs.map((x) => x.warmBurnPerSec ?? NaN)),
    bulk: median(rs.map((x) => x.bulkPerSec ?? NaN)),
    p50: median(rs.map((x) => x.latency?.p50 ?? NaN)),
    p99: median(rs.map((x) => x.latency?.p99 ?? NaN)),
    mixed: median(rs.map((x) => x.mixedPerSec ?? NaN)),
    workerRss: median(rs.map((x) => x.workerPeakRssMb ?? NaN)),
    droneRss: median(rs.map((x) => x.dronePeakRssMb ?? NaN)),
    droneBurnRss: median(rs.map((x) => x.droneBurnPeakRssMb ?? NaN)),
    duplicates: rs.some((x) => x.duplicates !== undefined) ? Math.max(...rs.map((x) => x.duplicates ?? 0)) : null,
  }
})
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—')
console.log(`\nmedians of ${reps} (${sizes.tasks} tasks burn-down and bulk, ${sizes.latency} latency samples, ${sizes.mixed} mixed)\n`)
console.log('| system | burn-down tasks/s | warm burn-down tasks/s | bulk enqueue tasks/s | p50 / p99 enqueue→start ms | mixed first pass tasks/s | worker peak RSS MB | drone peak RSS MB (burn-down / whole run) | duplicate claims |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const r of rows) {
  console.log(`| ${r.system} | ${fmt(r.burn)} | ${fmt(r.warm)} | ${fmt(r.bulk)} | ${fmt(r.p50, 2)} / ${fmt(r.p99, 2)} | ${fmt(r.mixed)} | ${fmt(r.workerRss)} | ${r.key.startsWith('swarmage') ? `${fmt(r.droneBurnRss)} / ${fmt(r.droneRss)}` : '(in process)'} | ${r.duplicates ?? '—'} |`)
}
const get = (k: string) => rows.find((r) => r.key === k)
const peers = rows.filter((r) => SYSTEMS[r.key]!.peer)
const bestPeerBurn = Math.max(...peers.map((p) => p.burn))
const ratios: Record<string, number> = {}
const sw = get('swarmage-pg')
if (sw && peers.length) {
  ratios['pg burn-down / best peer (target ≥ 1.5)'] = sw.burn / bestPeerBurn
  const gw = get('graphile-worker')
  if (gw) ratios['pg bulk enqueue / graphile-worker addJobs (target ≥ 1.5)'] = sw.bulk / gw.bulk
  const bull = get('bullmq')
  if (bull) ratios['pg p50 latency / BullMQ p50 (target ≤ 1)'] = sw.p50 / bull.p50
}
const lite = get('swarmage-sqlite')
if (lite && peers.length) ratios['sqlite burn-down / best peer (target ≥ 2)'] = lite.burn / bestPeerBurn
for (const n of [2, 4]) {
  const m = get(`swarmage-pg-${n}`)
  // Warm: every drone started before the clock, so N drones' start-up is not what is compared.
  if (m && sw) ratios[`${n} drones / 1 drone aggregate warm burn-down (target ≥ 1)`] = m.warm / sw.warm
  if (m && sw) ratios[`${n} drones / 1 drone aggregate cold burn-down`] = m.burn / sw.burn
}
const diag = rows.filter((r) => runs[r.key]!.some((x) => x.warmCpuPerTaskUs !== undefined))
if (diag.length) {
  console.log('\nwarm burn-down, machine-wide (drones, workers, PostgreSQL): CPU per task and share of the cores busy')
  for (const r of diag) {
    const rs = runs[r.key]!
    const role = (k: string) => fmt(median(rs.map((x) => x.warmCpuByRoleUs?.[k] ?? NaN)))
    console.log(
      `  ${r.system}: ${fmt(median(rs.map((x) => x.warmCpuPerTaskUs ?? NaN)))} µs/task (PostgreSQL ${role('postgres')}, drones ${role('drones')}, ` +
        `workers ${role('workers')}), ${fmt(median(rs.map((x) => (x.warmBusyShare ?? NaN) * 100)))}% busy`,
    )
  }
}
console.log('\nratios (same run):')
for (const [k, v] of Object.entries(ratios)) console.log(`  ${k}: ${v.toFixed(2)}`)
mkdirSync(join(here, 'results'), { recursive: true })
const file = join(here, 'results', `peers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), sizes, reps, runs, rows, ratios }, null, 2))
console.log(`\nresults: ${file}`)
