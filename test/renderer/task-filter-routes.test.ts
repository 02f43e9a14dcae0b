/**
 * The Tasks view's filters in the address (router/routes.ts): `#/tasks?state=…&type=…&q=…&connection=C`,
 * also beside an open task. Parsed and formatted without a browser; the browser side (history, Back,
 * a pasted link) is test/e2e/console-routes.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { TASK_STATES } from '../../src/core/task.ts'
import { formatRoute, parseRoute, taskHref, tasksRoute } from '../../src/renderer/src/router/routes.ts'

describe('task filters in the address', () => {
  it('reads state, type and q from a filtered list, with or without an open task', () => {
    expect(parseRoute('#/tasks?state=failed&type=resize&q=timeout&connection=C')).toEqual({
      view: 'tasks',
      id: null,
      connection: 'C',
      filters: { state: 'failed', type: 'resize', search: 'timeout' },
    })
    expect(parseRoute('#/tasks/t-1?state=queued&connection=C')).toEqual({ view: 'tasks', id: 't-1', connection: 'C', filters: { state: 'queued' } })
    // Order does not matter when reading.
    expect(parseRoute('#/tasks?connection=C&q=x&state=running').filters).toEqual({ state: 'running', search: 'x' })
    for (const state of TASK_STATES) expect(parseRoute(`#/tasks?state=${state}`).filters).toEqual({ state })
  })

  it('ignores what it does not know instead of throwing: a state not in TASK_STATES, empty values, other params, filters on another view', () => {
    expect(parseRoute('#/tasks?state=exploded&type=resize').filters).toEqual({ type: 'resize' })
    expect(parseRoute('#/tasks?state=FAILED').filters).toEqual({})
    expect(parseRoute('#/tasks?state=&type=%20%20&q=').filters).toEqual({})
    expect(parseRoute('#/tasks?sort=desc&page=2').filters).toEqual({})
    // A broken escape (a link cut short in a chat) is read as best it can be, and the rest still applies.
    expect(parseRoute('#/tasks?q=%E0%A4%A&state=failed').filters).toMatchObject({ state: 'failed', search: expect.any(String) })
    expect(parseRoute('#/drones?state=failed')).toEqual({ view: 'drones', id: null, connection: null, filters: {} })
  })

  it('round-trips text that needs escaping: spaces, +, &, =, ?, #, quotes, non-ASCII', () => {
    const filters = { state: 'failed' as const, type: 'img/resize v2', search: 'a+b & c=d? #1 "ok" — 東京' }
    const hash = formatRoute({ view: 'tasks', id: 'x/y', connection: 'pg main', filters })
    expect(hash).toBe('#/tasks/x%2Fy?state=failed&type=img%2Fresize%20v2&q=a%2Bb%20%26%20c%3Dd%3F%20%231%20%22ok%22%20%E2%80%94%20%E6%9D%B1%E4%BA%AC&connection=pg%20main')
    expect(parseRoute(hash)).toEqual({ view: 'tasks', id: 'x/y', connection: 'pg main', filters })
    // A hand-typed question mark inside the query is part of the search, not a second query.
    expect(parseRoute('#/tasks?q=why?&state=failed').filters).toEqual({ search: 'why?', state: 'failed' })
    // Text is trimmed when read, as the search box trims it.
    expect(parseRoute('#/tasks?q=%20timeout%20').filters).toEqual({ search: 'timeout' })
  })

  it('formats one filter as one address, in a fixed order, with the connection last', () => {
    const a = formatRoute({ view: 'tasks', connection: 'C', filters: { search: 'q', type: 't', state: 'failed' } })
    const b = formatRoute({ view: 'tasks', connection: 'C', filters: { state: 'failed', type: 't', search: 'q' } })
    expect(a).toBe('#/tasks?state=failed&type=t&q=q&connection=C')
    expect(b).toBe(a)
    // Filters belong to Tasks: another view's address never carries them.
    expect(formatRoute({ view: 'flow', filters: { state: 'failed' } })).toBe('#/flow')
  })

  it('names the queue in a Tasks address only when a task is open or a filter is set', () => {
    expect(formatRoute(tasksRoute(null, 'C'))).toBe('#/tasks')
    expect(formatRoute(tasksRoute(null, 'C', {}))).toBe('#/tasks')
    expect(formatRoute(tasksRoute(null, 'C', { state: 'failed' }))).toBe('#/tasks?state=failed&connection=C')
    expect(formatRoute(tasksRoute('t-1', 'C', { state: 'failed' }))).toBe('#/tasks/t-1?state=failed&connection=C')
    expect(formatRoute(tasksRoute('t-1', 'C'))).toBe(taskHref('C', 't-1'))
    expect(formatRoute(tasksRoute(null, null, { type: 'x' }))).toBe('#/tasks?type=x')
  })

  it('keeps a task link as it was: the task alone, whatever list it was opened from', () => {
    expect(taskHref('conn-1', 'abc')).toBe('#/tasks/abc?connection=conn-1')
    expect(taskHref(null, 'abc', 'http://127.0.0.1:7777/')).toBe('http://127.0.0.1:7777/#/tasks/abc')
  })
})
