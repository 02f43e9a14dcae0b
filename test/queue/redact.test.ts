/** redact() parses the address: every password form is hidden, whatever characters it holds. */
import { describe, expect, it } from 'vitest'
import { redact } from '../../src/queue/address.ts'

describe('redact', () => {
  it('hides userinfo passwords, also with an empty user and an @ inside', () => {
    expect(redact('postgres://app:pw@h:5432/db')).toBe('postgres://app:***@h:5432/db')
    expect(redact('postgres://:pw-empty-user@h/db')).not.toContain('pw-empty-user')
    expect(redact('postgres://app:p@ss@word@h/db')).not.toMatch(/p@ss|word@/)
  })

  it('hides ?password= query parameters', () => {
    const r = redact('postgres://app@h/db?sslmode=require&password=q-secret')
    expect(r).not.toContain('q-secret')
    expect(r).toContain('sslmode=require')
  })

  it('leaves addresses without a password alone', () => {
    expect(redact('postgres://app@h:5432/db')).toBe('postgres://app@h:5432/db')
    expect(redact('sqlite:./swarm.db')).toBe('sqlite:./swarm.db')
  })
})
