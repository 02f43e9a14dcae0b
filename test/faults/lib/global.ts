import { writeReport } from '../report.ts'

/** Vitest global setup: nothing before the run; after it, regenerate docs/reliability.md from the figures. */
export default function setup(): () => void {
  const started = Date.now()
  return () => {
    const path = writeReport({ runStartedAt: started })
    process.stdout.write(`[faults] report written to ${path}\n`)
  }
}
