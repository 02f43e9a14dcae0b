import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { workerDefinitionInput, type WorkerDefinitionInput, type WorkerDefinitionRecord } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { JsonField } from '../../components/JsonField.tsx'
import { useAction } from '../../components/hooks.ts'
import { parseJson, pretty } from '../../lib/json.ts'
import { useAppInfo, workerDefsQuery } from '../../data/queries.ts'
import { call } from '../../transport/index.ts'
import { TASK_TYPE_RULE } from '../../../../core/task.ts'
import { MAX_CONCURRENCY, MAX_PROCESSES } from '../../../../core/worker-definition.ts'
import { noteFor, numberField, schemaIssues } from '../../lib/form-check.ts'


export function WorkerForm({ editing, onDone }: { editing: WorkerDefinitionRecord | null; onDone: () => void }) {
  const desktop = useAppInfo((i) => i.mode === 'desktop') ?? false
  const [type, setType] = useState(editing?.type ?? '')
  const [module, setModule] = useState(editing?.module ?? '')
  const [processes, setProcesses] = useState(String(editing?.processes ?? 1))
  const [concurrency, setConcurrency] = useState(String(editing?.concurrency ?? 1))
  const [timeout, setTimeoutMs] = useState(editing?.taskTimeoutMs ? String(editing.taskTimeoutMs) : '')
  const [watch, setWatch] = useState(editing?.watch ?? true)
  const [config, setConfig] = useState(editing?.config === undefined ? '' : pretty(editing.config))
  const [pickNote, setPickNote] = useState<string | null>(null)

  const parsed = parseJson(config)
  // The contract's schema decides (src/api/contract.ts, core/worker-definition.ts); the notes only word it for this form.
  const draft = { type, module: module.trim(), processes: numberField(processes) ?? '', concurrency: numberField(concurrency) ?? '', taskTimeoutMs: numberField(timeout), watch }
  const issues = schemaIssues(workerDefinitionInput, draft)
  const typeBad = type !== '' ? noteFor(issues, 'type', `a task type is ${TASK_TYPE_RULE}`) : null
  const procBad = noteFor(issues, 'processes', `1–${MAX_PROCESSES}`)
  const concBad = noteFor(issues, 'concurrency', `1–${MAX_CONCURRENCY}`)
  const timeoutBad = noteFor(issues, 'taskTimeoutMs', 'milliseconds, a whole number')
  const invalid = !!(typeBad || procBad || concBad || timeoutBad || !parsed.ok || !type || !module)

  const qc = useQueryClient()
  const save = useAction(async () => {
    const input: WorkerDefinitionInput = workerDefinitionInput.parse(draft)
    if (editing) input.id = editing.id
    if (parsed.ok && parsed.value !== undefined) input.config = parsed.value
    const saved = await call('workers.save', input)
    await qc.invalidateQueries({ queryKey: workerDefsQuery().queryKey })
    return saved
  })
  const pick = useAction(() => call('workers.pickModule', {}))

  const browse = async () => {
    const r = await pick.run()
    if (r?.path) setModule(r.path)
    else if (r) setPickNote(r.reason ?? 'no file chosen')
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!invalid && (await save.run())) onDone()
  }

  return (
    <form className="panel form" onSubmit={submit} data-testid="worker-form">
      <h2>{editing ? `Edit worker ${editing.type}` : 'Add a worker definition'}</h2>
      <div className="row">
        <div className="field">
          <label htmlFor="wf-type">Task type</label>
          <input id="wf-type" className={`mono${typeBad ? ' invalid' : ''}`} value={type} onChange={(e) => setType(e.target.value)} placeholder="resize" data-testid="worker-type" required />
          {typeBad && <div className="field-note bad">{typeBad}</div>}
        </div>
        <div className="field grow">
          <label htmlFor="wf-module">Module path</label>
          <div className="input-with-button">
            <input id="wf-module" className="mono" value={module} onChange={(e) => setModule(e.target.value)} placeholder="/path/to/workers/resize.ts" data-testid="worker-module" required />
            {desktop && (
              <button type="button" className="btn" onClick={() => void browse()} disabled={pick.busy} data-testid="worker-browse">
                Browse…
              </button>
            )}
          </div>
          <div className="field-note">{pickNote ?? 'A .js, .mjs, .cjs or .ts file whose default export is a function or { setup, run, teardown }. Absolute path, on the machine running the drone.'}</div>
        </div>
      </div>
      <div className="row">
        <NumberField id="processes" label="Processes" value={processes} set={setProcesses} bad={procBad} />
        <NumberField id="concurrency" label="Concurrency per process" value={concurrency} set={setConcurrency} bad={concBad} />
        <NumberField id="timeout" label="Task timeout (ms)" value={timeout} set={setTimeoutMs} bad={timeoutBad} placeholder="drone default" />
        <label className="check">
          <input type="checkbox" checked={watch} onChange={(e) => setWatch(e.target.checked)} data-testid="worker-watch" /> reload when the file changes
        </label>
      </div>
      <JsonField label="Config (JSON, passed to setup and ctx.config)" value={config} onChange={setConfig} testId="worker-config" rows={5} hint="valid JSON (empty: no config)" />
      <div className="actions">
        <button type="submit" className="btn primary" disabled={invalid || save.busy} data-testid="worker-save">
          {save.busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="btn ghost" onClick={onDone}>
          Cancel
        </button>
      </div>
      <ErrorBox error={save.error} what="Not saved" testId="worker-save-error" />
      <ErrorBox error={pick.error} what="Browse failed" testId="worker-browse-error" />
    </form>
  )
}

function NumberField({ id, label, value, set, bad, placeholder }: { id: string; label: string; value: string; set: (v: string) => void; bad: string | null; placeholder?: string }) {
  return (
    <div className="field narrow">
      <label htmlFor={`wf-${id}`}>{label}</label>
      <input id={`wf-${id}`} inputMode="numeric" className={bad ? 'invalid' : ''} value={value} onChange={(e) => set(e.target.value)} placeholder={placeholder} data-testid={`worker-${id}`} />
      {bad && <div className="field-note bad">{bad}</div>}
    </div>
  )
}
