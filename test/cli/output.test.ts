import { CommanderError } from 'commander'
import { describe, expect, it } from 'vitest'
import { InputError, NotFoundError, SchemaError } from '../../src/core/errors.ts'
import { percentile } from '../../src/bench/report.ts'
import { ConnectError, errorLine, exitCodeFor, isConnectFailure } from '../../src/cli/errors.ts'
import { createOutput, formatTable } from '../../src/cli/output.ts'

describe('CLI output and error lines', () => {
  it('aligns tables, right-aligning numeric columns and showing missing values as -', () => {
    expect(formatTable(['TYPE', 'QUEUED', 'KEY'], [['resize', 12, null], ['up', 3, 'k']])).toBe(
      'TYPE    QUEUED  KEY\nresize      12  -\nup           3  k\n',
    )
  })

  it('prints --json lists as one document per line', () => {
    let text = ''
    const out = createOutput(true, (s) => (text += s))
    out.lines([{ a: 1 }, { b: 'x\ny' }])
    out.doc({ ids: [] })
    expect(text).toBe('{"a":1}\n{"b":"x\\ny"}\n{"ids":[]}\n')
  })

  it('classifies errors into exit statuses 2 (bad input) and 1 (run time)', () => {
    expect(exitCodeFor(new InputError('x'))).toBe(2)
    expect(exitCodeFor(new NotFoundError('x'))).toBe(2)
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toBe(2)
    expect(exitCodeFor(new SchemaError('x'))).toBe(1)
    expect(exitCodeFor(new Error('x'))).toBe(1)
    expect(errorLine(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toBe("swarmage: unknown option '--x'")
    expect(errorLine(new InputError('bad\n  thing'))).toBe('swarmage: bad thing')
    const foreign = new Error('database is locked')
    foreign.name = 'SqliteError'
    expect(errorLine(foreign)).toBe('swarmage: SqliteError: database is locked')
  })

  it('names the redacted address and the first cause of a refused dual-stack connection', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })
    const agg = new AggregateError([refused, new Error('connect ECONNREFUSED 127.0.0.1:5432')], '')
    expect(isConnectFailure(agg)).toBe(true)
    expect(isConnectFailure(new Error('syntax error'))).toBe(false)
    expect(errorLine(new ConnectError('postgres://u:pw@localhost/db', agg))).toBe(
      'swarmage: cannot connect to the queue at postgres://u:***@localhost/db: connect ECONNREFUSED ::1:5432',
    )
  })

  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1)
    expect([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile([7], 99)]).toEqual([50, 95, 99, 7])
  })
})
