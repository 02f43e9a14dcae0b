import { queryOptions } from '@tanstack/react-query'
import type { ApiMethod, ApiParams, ApiResults } from '../../../api/contract.ts'
import { call, toApiError } from '../transport/index.ts'

/**
 * The one query-key scheme: `[method, params]`, exactly the call that fills it. TanStack matches a
 * key prefix and params partially, so `{ queryKey: ['tasks.get', { connectionId }] }` finds every
 * cached task detail of that queue without a hand-kept key registry.
 */
export function apiKey<M extends ApiMethod>(method: M, params: ApiParams<M>): readonly [M, ApiParams<M>] {
  return [method, params] as const
}

/** Calls the API; any failure (transport, server, a thrown Error) becomes an ApiError. */
export async function callApi<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResults[M]> {
  try {
    return await call(method, params)
  } catch (err) {
    throw toApiError(err)
  }
}

/** Query options for one API call: the typed key (setQueryData/getQueryData know the data's type) and its function. */
export function apiQuery<M extends ApiMethod>(method: M, params: ApiParams<M>) {
  return queryOptions({ queryKey: apiKey(method, params), queryFn: () => callApi(method, params) })
}
