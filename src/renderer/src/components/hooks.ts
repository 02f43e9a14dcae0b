import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiParams, ApiResults } from '../../../api/contract.ts'
import { call, toApiError, type ApiError } from '../transport/index.ts'

/** Runs `fn` every `ms` while mounted (and once at once); the latest `fn` is always used. */
export function useInterval(fn: () => void, ms: number, enabled = true): void {
  const ref = useRef(fn)
  useEffect(() => {
    ref.current = fn
  })
  useEffect(() => {
    if (!enabled) return
    ref.current()
    const t = setInterval(() => ref.current(), ms)
    return () => clearInterval(t)
  }, [ms, enabled])
}

/** A button's async action: busy while running, the error kept for an ErrorBox, the result for display. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ApiError | null>(null)
  const [result, setResult] = useState<R | null>(null)
  const ref = useRef(fn)
  useEffect(() => {
    ref.current = fn
  })
  const run = useCallback(async (...args: A): Promise<R | null> => {
    setBusy(true)
    setError(null)
    try {
      const r = await ref.current(...args)
      setResult(() => r)
      return r
    } catch (err) {
      setError(toApiError(err))
      setResult(null)
      return null
    } finally {
      setBusy(false)
    }
  }, [])
  const reset = useCallback(() => {
    setError(null)
    setResult(null)
  }, [])
  return { run, busy, error, result, reset }
}

/** True when a key event comes from a text field (shortcuts then leave it alone). */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null
  if (!t) return false
  return t.isContentEditable || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT'
}

/** Arrow/j/k moves a selection index, Enter opens, Esc closes: the table keyboard of every list view. */
export function useListKeys({ count, index, setIndex, onOpen, onClose, enabled = true }: { count: number; index: number; setIndex: (i: number) => void; onOpen?: (i: number) => void; onClose?: () => void; enabled?: boolean }): void {
  const state = useRef({ count, index, setIndex, onOpen, onClose, enabled })
  useEffect(() => {
    state.current = { count, index, setIndex, onOpen, onClose, enabled }
  })
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.metaKey || e.ctrlKey || e.altKey) return
      const s = state.current
      // Esc always closes (a form or a panel); the other keys only move while the list has the keyboard.
      if (e.key === 'Escape') {
        s.onClose?.()
        return
      }
      if (!s.enabled || isTyping(e) || s.count === 0) return
      if (e.key === 'ArrowDown' || e.key === 'j') {
        e.preventDefault()
        s.setIndex(Math.min(s.count - 1, s.index + 1))
      } else if (e.key === 'ArrowUp' || e.key === 'k') {
        e.preventDefault()
        s.setIndex(Math.max(0, s.index - 1))
      } else if (e.key === 'Enter' && s.index >= 0) {
        e.preventDefault()
        s.onOpen?.(s.index)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}

/** The lists a view re-reads on a timer for the selected connection (Types, Schedules). */
type PolledMethod = 'types.list' | 'schedules.list'

/**
 * A connection's list, re-read every `ms` while a connection is selected, with the last error;
 * `act` runs a change and re-reads (or shows the change's error).
 */
export function usePolledList<M extends PolledMethod>(method: M, connectionId: string | null, ms: number) {
  const [list, setList] = useState<ApiResults[M] | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const reload = (): void => {
    if (!connectionId) return
    call(method, { connectionId } as ApiParams<M>).then(
      (l) => {
        setList(l)
        setError(null)
      },
      (err: unknown) => setError(toApiError(err)),
    )
  }
  useInterval(reload, ms, !!connectionId)
  const act = (p: Promise<unknown>): Promise<void> =>
    p.then(
      () => reload(),
      (err: unknown) => setError(toApiError(err)),
    )
  return { list, error, setError, reload, act }
}
