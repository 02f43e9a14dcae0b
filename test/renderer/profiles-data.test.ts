import { describe, expect, it } from 'vitest'
import type { ProfileView } from '../../src/api/profile-types.ts'
import { upsertProfile } from '../../src/renderer/src/views/profiles/data.ts'

const view = (id: string, state: ProfileView['state'], covered: number, startedAt = '2026-01-01T00:00:00.000Z'): ProfileView => ({
  id, kind: 'cpu', runId: 'r', state, droneId: 'd', droneName: 'd', type: 't', workerId: `t#${id}`, pid: 1, requested: 20, covered,
  taskIds: [], samples: 0, bytes: 0, startedAt, endedAt: null, fileName: 'f.cpuprofile',
})

describe('the Profiles list in the query cache', () => {
  it('updates a profile in place, adds new ones newest first, and never lets a late running view replace an ended one', () => {
    let list = upsertProfile([], view('a', 'running', 0))!
    list = upsertProfile(list, view('a', 'running', 5))!
    expect(list.map((p) => [p.id, p.covered])).toEqual([['a', 5]])
    list = upsertProfile(list, view('a', 'ready', 20))!
    list = upsertProfile(list, view('a', 'running', 7))!
    expect(list).toEqual([expect.objectContaining({ id: 'a', state: 'ready', covered: 20 })])
    list = upsertProfile(list, view('b', 'running', 0, '2026-01-02T00:00:00.000Z'))!
    expect(list.map((p) => p.id)).toEqual(['b', 'a'])
    // Not loaded yet: left for the first read.
    expect(upsertProfile(undefined, view('c', 'running', 0))).toBeUndefined()
  })
})
