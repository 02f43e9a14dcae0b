/**
 * Regenerates docs/reliability.md from the figures the suite's last runs wrote under
 * test-results/faults/{full,ci}/ (lib/figures.ts). Run by the suite's global teardown; also by hand:
 * `node --import tsx test/faults/report.ts`. The document is generated: edit this file, not it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FigureFile } from './lib/figures.ts'
import { MODE, RESULTS_DIR, ROOT } from './lib/mode.ts'

/** Every scenario of issue 4 the suite covers, in order; a missing figure file shows as "not run". */
export const SCENARIOS: Array<[string, string]> = [
  ['s01', 'Drone killed (SIGKILL)'],
  ['s02', 'Worker processes killed'],
  ['s03', 'PostgreSQL connections terminated / server restarted'],
  ['s04', 'LISTEN lost silently'],
  ['s05', 'Drone cut off longer than its lease'],
  ['s06', 'Graceful stop with tasks buffered'],
  ['s07', 'Drone killed during local-queue writes'],
  ['s08', 'Poison pills'],
  ['s09', 'Hang ignoring abort'],
  ['s10', 'Soak'],
  ['s11', 'Pool exhaustion'],
  ['s12', 'Clock skew'],
  ['s13', 'Bad input, fuzzed'],
  ['sec1', 'Least-privilege PostgreSQL roles'],
  ['sec2', 'Payloads never sent through NOTIFY'],
  ['net1', 'Three hosts on a network rig'],
]

function load(mode: string): { figures: Map<string, FigureFile>; run: { durationMs: number; at: string } | null } {
  const dir = join(RESULTS_DIR, mode)
  const figures = new Map<string, FigureFile>()
  let run: { durationMs: number; at: string } | null = null
  if (!existsSync(dir)) return { figures, run }
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue
    const data = JSON.parse(readFileSync(join(dir, f), 'utf8')) as FigureFile & { durationMs: number; at: string }
    if (f === '_run.json') run = data
    else figures.set(data.id, data)
  }
  return { figures, run }
}

const n = (v: number): string => v.toLocaleString('en-US')
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/**
 * `kept`: the rows the document already shows, by scenario id. A scenario with no figure file in this
 * checkout keeps its row: running one scenario by hand must not erase the figures of the others.
 */
function table(figures: Map<string, FigureFile>, kept: Map<string, string>): string {
  const rows = ['| # | scenario | size | faults | runs | lost | duplicates (why) | recovery | other figures | result |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |']
  for (const [id, title] of SCENARIOS) {
    const f = figures.get(id)
    if (!f) {
      rows.push(kept.get(id) ?? `| ${id} | ${title} | not run | | | | | | | — |`)
      continue
    }
    const why = Object.entries(f.duplicatesWhy).map(([k, v]) => `${v} ${k}`).join('; ')
    const extra = Object.entries(f.extra).map(([k, v]) => `${k}: ${typeof v === 'number' ? n(v) : String(v)}`).join('; ')
    const failed = Object.entries(f.checks).filter(([, ok]) => !ok).map(([k]) => k)
    rows.push(
      `| ${id} | ${cell(f.title)} | ${cell(f.size)}${f.scaled ? ` (scaled: ${cell(f.scaled)})` : ''} | ${n(f.faults)} | ${n(f.runs)} | ${n(f.lost)} | ${n(f.duplicates)}${why ? ` (${cell(why)})` : ''} | ` +
        `${f.recoverMs === null ? '—' : `${n(Math.round(f.recoverMs))} ms`} | ${cell(extra)} | ${f.ok ? 'pass' : `**FAIL**: ${cell(failed.join('; '))}`} (${secs(f.durationMs)}) |`,
    )
  }
  return rows.join('\n')
}

/** A cell's text: pipes would split the Markdown table. */
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

export function writeReport(opts: { runStartedAt?: number } = {}): string {
  if (opts.runStartedAt !== undefined) {
    // Only a run of every scenario is "the last run": a single file run by hand updates its row alone.
    const fresh = [...load(MODE).figures.values()].filter((f) => Date.parse(f.at) >= opts.runStartedAt!).length
    if (fresh === SCENARIOS.length) {
      mkdirSync(join(RESULTS_DIR, MODE), { recursive: true })
      writeFileSync(join(RESULTS_DIR, MODE, '_run.json'), JSON.stringify({ durationMs: Date.now() - opts.runStartedAt, at: new Date().toISOString() }))
    }
  }
  const full = load('full')
  const ci = load('ci')
  const when = (r: { durationMs: number; at: string } | null): string =>
    r ? `ended ${r.at.slice(0, 16).replace('T', ' ')} UTC, ${secs(r.durationMs)} in all` : 'no complete run recorded'
  const path = join(ROOT, 'docs/reliability.md')
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : ''
  // A mode with no figures on this machine (a fresh checkout that ran only the CI subset) keeps the
  // section the document already has: the full run's figures are not erased by a CI run.
  const section = (heading: string, data: ReturnType<typeof load>): string => {
    const kept = previous.match(new RegExp(`## ${heading} \\(([^\\n]*)\\)\\n[\\s\\S]*?(?=\\n## )`))
    if (data.figures.size === 0 && kept) return kept[0].trimEnd()
    const keptRows = new Map<string, string>()
    for (const line of kept?.[0].split('\n') ?? []) {
      const id = /^\| ([a-z]+\d+) \|/.exec(line)?.[1]
      if (id && !line.includes('| not run |')) keptRows.set(id, line)
    }
    // No complete run here: the heading keeps the date of the run most rows come from.
    const heading2 = data.run === null && kept && keptRows.size > 0 ? kept[1]! : when(data.run)
    return `## ${heading} (${heading2})\n\n${table(data.figures, keptRows)}`
  }
  const doc = `# Reliability

<!-- Generated by test/faults/report.ts from test-results/faults/ at the end of \`npm run test:faults\`. Do not edit by hand. -->

## The promise

> Every committed task reaches a final state despite the crash of any drone, worker or console
> process, a PostgreSQL restart, or the loss of the LISTEN connection. It runs at least once; it runs
> twice only when a lease expired while an attempt was in flight; exactly one outcome is recorded for
> each attempt, because every transition is fenced by its lease. Abandoned tasks run again within
> \`leaseMs\` plus a few seconds. Tasks handed back on a graceful stop use no attempt.

The fault-injection suite (\`test/faults/\`) proves it with real processes, a real PostgreSQL and real
faults. Every execution is written to a ledger keyed by (task id, attempt) by the worker itself, so a
run the queue does not know about still counts; a duplicate counts as explained only when the earlier
run was in flight at an injected fault (its drone killed or cut off, its worker process killed).

\`\`\`
npm run test:faults      # the full suite (below 15 minutes on 2 cores)
npm run test:faults:ci   # the CI subset: smaller sizes, no PostgreSQL server restart (below ~6 minutes)
\`\`\`

Columns: **faults** injected; **runs** executions in the ledger; **lost** committed tasks that did not
reach a final state; **duplicates** runs beyond one per task, with the fault that explains each;
**recovery** the slowest time from a fault to work flowing again (or to an abandoned task running again).

${section('Last full run', full)}

${section('Last CI subset run', ci)}

## Several hosts: the network rig (net1)

\`test/faults/net1-rig.test.ts\` runs three hosts on one machine, as drones on separate machines would
run: three network namespaces (\`swr-h1\`…\`swr-h3\`), each joined to the root namespace by a veth pair
addressed from 198.18.0.0/15 (RFC 2544's test range) with no route off the machine, each running a real
drone process (\`ip netns exec\`) that reaches PostgreSQL only through a forwarder bound to the root
side of its own veth (PostgreSQL listens on loopback). Each link adds 20 ms ± 5 ms of delay and 1% loss
on the host's egress: \`tc … netem\` where the kernel has it; this machine's kernel (a 6.18 Firecracker
build) has no netem, tbf, gact or matchall, so there the forwarder delays each chunk the same way and
holds 1% of them one retransmission timeout (200 ms) more, which is what a lost segment costs a TCP
stream. The figures say which ran ("link"). A cut is a kernel-level black hole either way: the root
side of the host's veth is set down, with the neighbour entries pinned so that no ARP failure turns the
silence into an error.

On the rig, from the ledger of starts and ends every run writes: \`maxRunning\` and \`groupMaxRunning\`
are never exceeded (the most runs at once, computed from the ledger) and are shared by all three hosts;
a minute schedule fires exactly once per tick, with no tick missed (every drone's scheduler reads a
virtual clock running 20× the database's, so ticks come 3 s apart); \`paused\` stops new starts on every
host within a second of the command (tasks already in hand run out; nothing else starts in the next
3 s), and the resume restarts all three; a host cut for three leases loses nothing: what it held runs
elsewhere, its late completions are refused by the fence, and it aborts what it still ran once the link
heals. Needs root and iproute2 and installs nothing; the namespaces are deleted after the run, also
when it fails, and leftovers of a crashed run (names \`swr-*\`) are removed before the next.

The rig shows a property of leases, not a bug: while a host is cut off, its worker processes go on
running the tasks it held until the link heals (they cannot hear that the lease is gone), and the
rescued copies run elsewhere at the same time. A limit counts claims in the global queue, so during a
cut a type's *executions* can exceed \`maxRunning\` by what the cut host still runs; its outcomes are
refused. A handler that must never overlap with itself needs its own fence (an idempotent effect, or
a lock keyed by the task).

What the rig found: one of its first three runs stalled every claim after the cut. A limited claim holds
its types' settings rows locked for its transaction, and the cut host's session, idle in that
transaction behind a black hole, looked alive to the server, so the others' claims waited on the lock
until TCP gave up. The claim now bounds its idle time (\`idle_in_transaction_session_timeout\` 3 s, set
locally before the lock), so the server ends the silent session; a unit test reproduces it
(\`test/queue/postgres-flow-partition.test.ts\`). A schedule's fire locks its row the same way and is
not bounded yet.

## Security: PostgreSQL roles

Least privilege, tested by \`test/faults/sec1-roles.test.ts\` (scenario sec1), which creates these roles
with unique names, migrates as the owner and runs a real drone as the drone role:

| role | may | used by |
| --- | --- | --- |
| \`swarmage_owner\` | owns the schema: \`CREATE\` on the database, runs \`swarmage migrate\` | deployments, once per upgrade |
| \`swarmage_drone\` | \`USAGE\` on the schema; \`SELECT, INSERT, UPDATE, DELETE\` on its tables; \`USAGE\` on its sequences; no DDL | drones, \`swarmage enqueue\` |
| \`swarmage_console_ro\` | \`USAGE\` on the schema; \`SELECT\` on its tables | a read-only console or dashboard |

\`\`\`sql
CREATE ROLE swarmage_owner LOGIN PASSWORD '…';
GRANT CREATE ON DATABASE app TO swarmage_owner;             -- then: swarmage migrate, connected as swarmage_owner
CREATE ROLE swarmage_drone LOGIN PASSWORD '…';
GRANT USAGE ON SCHEMA swarmage TO swarmage_drone;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA swarmage TO swarmage_drone;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA swarmage TO swarmage_drone;
CREATE ROLE swarmage_console_ro LOGIN PASSWORD '…';
GRANT USAGE ON SCHEMA swarmage TO swarmage_console_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA swarmage TO swarmage_console_ro;
\`\`\`

Run \`swarmage migrate\` as the owner before starting drones under \`swarmage_drone\` (a drone migrates on
start, which is a no-op when the schema is current), and repeat the GRANTs after a migration that adds
tables. Wake-ups (NOTIFY) carry only task types or ids, never payloads (scenario sec2).
`
  writeFileSync(path, doc)
  return path
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(`${writeReport()}\n`)
