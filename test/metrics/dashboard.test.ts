/** docs/grafana-dashboard.json queries only the names the metrics serve (a rename would leave it blank). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { METRIC_NAMES } from '../../src/metrics/metrics.ts'

describe('docs/grafana-dashboard.json', () => {
  it('is a dashboard whose every query names a metric we serve', () => {
    const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>
    }
    const served = new Set<string>(Object.values(METRIC_NAMES))
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/swarmage_\w+/g) ?? []))
    expect(used.length).toBeGreaterThan(10)
    const unknown = used.map((n) => n.replace(/_(bucket|sum|count)$/, '')).filter((n) => !served.has(n))
    expect(unknown).toEqual([])
  })
})
