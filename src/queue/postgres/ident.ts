import { createHash } from 'node:crypto'

/** Quotes an SQL identifier (schema, channel): doubles embedded quotes, so any name is safe. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** Quotes a constant as an SQL string literal (only for names built into statement text once). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

/** PostgreSQL truncates identifiers to 63 bytes; pg_notify refuses longer channel names outright. */
const MAX_IDENT_BYTES = 63

/**
 * The LISTEN/NOTIFY channel of one schema: `swarmage_<schema>`, or a hash of the schema when that
 * would be longer than an identifier may be.
 */
export function channelFor(schema: string): string {
  const plain = `swarmage_${schema}`
  if (Buffer.byteLength(plain) <= MAX_IDENT_BYTES) return plain
  return `swarmage_${createHash('sha1').update(schema).digest('hex').slice(0, 32)}`
}

/** A task id is a UUID; anything else cannot name a task (and would be a cast error in SQL). */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID_RE.test(id)
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** text columns refuse NUL (log messages come from user code); lone surrogates are made visible too. */
export function textSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000/g, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD')
}
