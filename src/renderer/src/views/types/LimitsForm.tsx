import { useState, type FormEvent } from 'react'
import type { ApiParams } from '../../../../api/contract.ts'
import { apiInputs } from '../../../../api/contract.ts'
import type { TypeSettings } from '../../../../core/flow.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useAction } from '../../components/hooks.ts'
import { numberField } from '../../lib/form-check.ts'
import { call, type ApiError } from '../../transport/index.ts'

type Field = 'maxRunning' | 'rate' | 'groupMaxRunning' | 'groupRate'
const FIELDS: Array<{ key: Field; label: string; hint: string; numeric: boolean }> = [
  { key: 'maxRunning', label: 'Max running', hint: 'across all drones', numeric: true },
  { key: 'rate', label: 'Rate', hint: 'N/INTERVAL, e.g. 100/1s', numeric: false },
  { key: 'groupMaxRunning', label: 'Group max running', hint: 'per group', numeric: true },
  { key: 'groupRate', label: 'Group rate', hint: 'per group, e.g. 10/1m', numeric: false },
]

/**
 * Edits one type's limits; an empty field clears that limit. Checked here with the contract's own
 * schema (the one the server applies), so a bad value is named before anything is sent.
 */
export function LimitsForm({ connectionId, type, settings, onSaved }: { connectionId: string; type: string; settings: TypeSettings; onSaved: () => void }) {
  const [form, setForm] = useState<Record<Field, string>>(() => ({
    maxRunning: settings.maxRunning?.toString() ?? '',
    rate: settings.rate ?? '',
    groupMaxRunning: settings.groupMaxRunning?.toString() ?? '',
    groupRate: settings.groupRate ?? '',
  }))
  const [invalid, setInvalid] = useState<ApiError | null>(null)
  const save = useAction(async (params: ApiParams<'types.set'>) => {
    await call('types.set', params)
    onSaved()
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const values: Record<string, unknown> = {}
    for (const f of FIELDS) {
      const text = form[f.key].trim()
      values[f.key] = text === '' ? null : f.numeric ? numberField(text) : text
    }
    const params = { connectionId, type, settings: values }
    const parsed = apiInputs['types.set'].safeParse(params)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      const key = String(issue.path.at(-1) ?? '')
      setInvalid({ code: 'input', message: issue.message.startsWith(key) ? issue.message : `${key}: ${issue.message}` } as ApiError)
      return
    }
    setInvalid(null)
    void save.run(parsed.data)
  }
  return (
    <form className="form row" onSubmit={submit} data-testid={`limits-form-${type}`}>
      {FIELDS.map((f) => (
        <label className="field" key={f.key}>
          <span>
            {f.label} <span className="muted">({f.hint})</span>
          </span>
          <input className="mono" value={form[f.key]} placeholder="none" onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} data-testid={`limits-${f.key}`} />
        </label>
      ))}
      <button type="submit" className="btn primary" disabled={save.busy} data-testid="limits-save">
        {save.busy ? 'Saving…' : 'Save limits'}
      </button>
      <ErrorBox error={invalid ?? save.error} what="Limits not saved" testId="limits-error" />
    </form>
  )
}
