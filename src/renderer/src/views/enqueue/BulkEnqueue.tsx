import { useState } from 'react'
import { workerDefinitionInput, type ApiParams } from '../../../../api/contract.ts'
import { ErrorBox } from '../../components/ErrorBox.tsx'
import { useAction } from '../../components/hooks.ts'
import { BULK_MAX, ndjsonTasks, sendBulk, templateTasks, type BulkProgress } from '../../lib/bulk.ts'
import { call } from '../../transport/index.ts'
import { TASK_TYPE_RULE } from '../../../../core/task.ts'
import { numberField } from '../../lib/form-check.ts'

/**
 * Many tasks at once: a count with a payload template (`{{i}}` is 1…count), or an NDJSON file in the
 * `swarmage enqueue --file` format. Everything is checked before the first task is stored; then it
 * goes in batches through tasks.enqueueMany, with progress.
 */
export function BulkEnqueue({ connectionId, typesListId }: { connectionId: string; typesListId: string }) {
  const [mode, setMode] = useState<'template' | 'file'>('template')
  const [type, setType] = useState('')
  const [count, setCount] = useState('20')
  const [template, setTemplate] = useState('{"n": {{i}}}')
  const [file, setFile] = useState<{ name: string; text: string } | null>(null)
  const [progress, setProgress] = useState<BulkProgress | null>(null)

  const send = useAction(async () => {
    setProgress(null)
    const built = mode === 'template' ? templateTasks(type, template, Number(count)) : file ? ndjsonTasks(file.text) : { ok: false as const, error: 'choose an NDJSON file first' }
    if (!built.ok) throw Object.assign(new Error(built.error), { code: 'input' })
    const sent = await sendBulk(
      built,
      (p) => call('tasks.enqueueMany', { connectionId, ...p } as ApiParams<'tasks.enqueueMany'>),
      setProgress,
    )
    return { sent, from: mode === 'file' ? file?.name : undefined }
  })

  // The task-type rule is the contract's (the worker definition schema's); the count is the bulk builder's own bound.
  const typeOk = workerDefinitionInput.shape.type.safeParse(type).success
  const typeBad = mode === 'template' && type !== '' && !typeOk
  const countBad = !Number.isInteger(numberField(count)) || Number(count) < 1 || Number(count) > BULK_MAX
  const ready = mode === 'template' ? typeOk && !countBad : file !== null
  return (
    <div className="panel form" data-testid="bulk-form">
      <h2>Enqueue many</h2>
      <div className="actions">
        <label className="check">
          <input type="radio" name="bulk-mode" checked={mode === 'template'} onChange={() => setMode('template')} data-testid="bulk-mode-template" /> a count and a payload template
        </label>
        <label className="check">
          <input type="radio" name="bulk-mode" checked={mode === 'file'} onChange={() => setMode('file')} data-testid="bulk-mode-file" /> an NDJSON file (one {'{"type", "payload"}'} per line)
        </label>
      </div>
      {mode === 'template' ? (
        <div className="row">
          <div className="field">
            <label htmlFor="bulk-type">Type</label>
            <input id="bulk-type" className={`mono${typeBad ? ' invalid' : ''}`} value={type} onChange={(e) => setType(e.target.value)} list={typesListId} placeholder="a task type" data-testid="bulk-type" />
            {typeBad && <div className="field-note bad">{TASK_TYPE_RULE}</div>}
          </div>
          <div className="field">
            <label htmlFor="bulk-count">How many</label>
            <input id="bulk-count" className={`narrow-input${countBad ? ' invalid' : ''}`} value={count} onChange={(e) => setCount(e.target.value)} data-testid="bulk-count" />
            {countBad && <div className="field-note bad">1–{BULK_MAX.toLocaleString('en')}</div>}
          </div>
          <div className="field grow">
            <label htmlFor="bulk-template">Payload template (JSON; {'{{i}}'} becomes 1, 2, 3 …)</label>
            <input id="bulk-template" className="mono" value={template} onChange={(e) => setTemplate(e.target.value)} data-testid="bulk-template" />
          </div>
        </div>
      ) : (
        <div className="field">
          <label htmlFor="bulk-file">NDJSON file</label>
          <input
            id="bulk-file"
            type="file"
            accept=".ndjson,.jsonl,.json,.txt"
            data-testid="bulk-file"
            onChange={(e) => {
              const f = e.target.files?.[0]
              if (!f) return setFile(null)
              void f.text().then((text) => setFile({ name: f.name, text }))
            }}
          />
        </div>
      )}
      <div className="actions">
        <button type="button" className="btn primary" disabled={!ready || send.busy} onClick={() => void send.run()} data-testid="bulk-send">
          {send.busy ? 'Enqueueing…' : mode === 'template' ? `Enqueue ${countBad ? '' : Number(count).toLocaleString('en')} tasks` : 'Enqueue the file'}
        </button>
        {progress && progress.phase !== 'done' && (
          <span data-testid="bulk-progress" data-done={progress.done} data-total={progress.total}>
            {progress.phase === 'checking' ? 'checking' : 'enqueued'} {progress.done.toLocaleString('en')} / {progress.total.toLocaleString('en')}
            <progress max={progress.total} value={progress.done} />
          </span>
        )}
        {send.result && !send.busy && (
          <span data-testid="bulk-result" data-count={send.result.sent}>
            {send.result.sent.toLocaleString('en')} tasks enqueued{send.result.from ? ` from ${send.result.from}` : ''}
          </span>
        )}
      </div>
      <ErrorBox error={send.error} what="Nothing enqueued" testId="bulk-error" />
    </div>
  )
}
