import { useQuery } from '@tanstack/react-query'
import { startTransition, useActionState, useCallback, useEffect, useRef, useState } from 'react'
import type { ApiParams } from '../../../api/contract.ts'
import { apiQuery } from '../data/api-query.ts'
import { toApiError, type ApiError } from '../transport/index.ts'

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

interface Outcome<R> {
  result: R | null
  error: ApiError | null
}
type ActionMessage<A, R> = { kind: 'run'; args: A; settle: (r: R | null) => void } | { kind: 'reset' }
const NO_OUTCOME: Outcome<never> = { result: null, error: null }

/**
 * A button's async action on React 19's `useActionState`: pending while it runs (`busy`), the error
 * kept for an ErrorBox, the result for display. `run` resolves with the result (null on error), so
 * a form can close itself once saved; runs are queued one after the other, as useActionState does.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const ref = useRef(fn)
  useEffect(() => {
    ref.current = fn
  })
  const [outcome, dispatch, busy] = useActionState<Outcome<R>, ActionMessage<A, R>>(async (_prev, m) => {
    if (m.kind === 'reset') return NO_OUTCOME
    try {
      const result = await ref.current(...m.args)
      m.settle(result)
      return { result, error: null }
    } catch (err) {
      m.settle(null)
      return { result: null, error: toApiError(err) }
    }
  }, NO_OUTCOME)
  const run = useCallback((...args: A): Promise<R | null> => new Promise((settle) => startTransition(() => dispatch({ kind: 'run', args, settle }))), [dispatch])
  const reset = useCallback(() => startTransition(() => dispatch({ kind: 'reset' })), [dispatch])
  return { run, busy, error: outcome.error, result: outcome.result, reset }
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
  // A query (re-read by TanStack's refetchInterval, shared by every view showing it); an action's error is kept beside it until the next action.
  const q = useQuery({ ...apiQuery(method, { connectionId: connectionId ?? '' } as ApiParams<M>), enabled: !!connectionId, refetchInterval: ms })
  const [actError, setError] = useState<ApiError | null>(null)
  const reload = (): void => void q.refetch()
  const act = (p: Promise<unknown>): Promise<void> =>
    p.then(
      () => {
        setError(null)
        reload()
      },
      (err: unknown) => setError(toApiError(err)),
    )
  return { list: q.data ?? null, error: actError ?? q.error, setError, reload, act }
}
