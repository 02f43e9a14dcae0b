import parsePrometheusTextFormat from 'parse-prometheus-text-format'

/** One sample as the exposition shows it: its labels and value. */
export interface Sample {
  labels: Record<string, string>
  value: number
}

interface ParsedFamily {
  name: string
  type: string
  metrics: Array<{ value?: string; labels?: Record<string, string> }>
}

/**
 * GET /metrics and parse it with a real exposition-format parser (parse-prometheus-text-format), to
 * samples by series name. The parser merges a labelled histogram's series into one sample and drops
 * its labels (it flattens `le` for unlabelled histograms only), so histograms are read as what they
 * are on the wire: their `_count` and `_sum` series (the TYPE line turned untyped before parsing).
 */
export async function scrape(url: string, token?: string): Promise<{ status: number; contentType: string; series: Map<string, Sample[]>; text: string }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  const text = await res.text()
  const series = res.status === 200 ? parseExposition(text) : new Map<string, Sample[]>()
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', series, text }
}

/** Prometheus text → samples by series name (see scrape). */
export function parseExposition(text: string): Map<string, Sample[]> {
  const series = new Map<string, Sample[]>()
  const families = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped')) as ParsedFamily[]
  for (const f of families) {
    const samples = f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }))
    series.set(f.name, [...(series.get(f.name) ?? []), ...samples])
  }
  return series
}

/** The value of the one sample of `name` whose labels include `labels` (undefined when there is none). */
export function value(series: Map<string, Sample[]>, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = (series.get(name) ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return found[0]?.value
}
