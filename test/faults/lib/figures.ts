/**
 * Each scenario's figures: printed, and written to test-results/faults/<mode>/<id>.json, from which
 * report.ts regenerates docs/reliability.md at the end of a run. Written BEFORE the scenario's
 * assertions, with every check's outcome, so a failing scenario still reports what it saw.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MODE, RESULTS_DIR } from './mode.ts'

export interface Figures {
  id: string
  title: string
  /** what ran: "3 drones, 20,000 tasks, 10 kills" */
  size: string
  /** set when the size is below the issue's: why */
  scaled?: string
  runs: number
  faults: number
  lost: number
  duplicates: number
  /** reason → count */
  duplicatesWhy: Record<string, number>
  /** slowest recovery observed, ms (null: not applicable) */
  recoverMs: number | null
  /** scenario-specific figures */
  extra: Record<string, string | number | boolean>
  /** name → held */
  checks: Record<string, boolean>
}

export interface FigureFile extends Figures {
  mode: string
  ok: boolean
  durationMs: number
  at: string
}

export function recordFigures(f: Figures, startedAt: number): FigureFile {
  const file: FigureFile = { ...f, mode: MODE, ok: Object.values(f.checks).every(Boolean), durationMs: Date.now() - startedAt, at: new Date().toISOString() }
  const dir = join(RESULTS_DIR, MODE)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${f.id}.json`), `${JSON.stringify(file, null, 2)}\n`)
  const why = Object.entries(f.duplicatesWhy).map(([k, v]) => `${v} ${k}`).join(', ') || '-'
  const failed = Object.entries(f.checks).filter(([, v]) => !v).map(([k]) => k)
  process.stdout.write(
    `[faults ${MODE}] ${f.id} ${f.title}: ${f.size}${f.scaled ? ` (scaled: ${f.scaled})` : ''} | runs ${f.runs} | faults ${f.faults} | lost ${f.lost} | ` +
      `duplicates ${f.duplicates} (${why}) | recover ${f.recoverMs ?? '-'} ms | ${Object.entries(f.extra).map(([k, v]) => `${k} ${v}`).join(', ')} | ` +
      `${file.ok ? 'OK' : `FAILED: ${failed.join('; ')}`}\n`,
  )
  return file
}
