import { useId } from 'react'
import { parseJson } from '../lib/json.ts'

/** A JSON textarea that validates as you type; the parent keeps the text and reads `parseJson` itself. */
export function JsonField({
  label,
  value,
  onChange,
  testId,
  rows = 6,
  allowEmpty = true,
  hint,
}: {
  label: string
  value: string
  onChange: (text: string) => void
  testId: string
  rows?: number
  allowEmpty?: boolean
  hint?: string
}) {
  const id = useId()
  const parsed = parseJson(value, { allowEmpty })
  return (
    <div className="field json-field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className={`mono${parsed.ok ? '' : ' invalid'}`}
        rows={rows}
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
        aria-invalid={!parsed.ok}
      />
      <div className={`field-note${parsed.ok ? '' : ' bad'}`} data-testid={`${testId}-status`}>
        {parsed.ok ? (hint ?? 'valid JSON') : `invalid JSON: ${parsed.error}`}
      </div>
    </div>
  )
}
