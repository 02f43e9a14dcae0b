import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConsoleService, EMBEDDED_ID } from '../../src/api/service.ts'
import type { PushMessage } from '../../src/api/contract.ts'
import type { ProfileChunk, ProfileView } from '../../src/api/profiles.ts'
import { tempDir, until } from '../helpers.ts'

// The console side of "profile the next N tasks" and heap snapshots: a real drone started by the
// console service, real worker processes, the files in the console's data folder.
const CRUNCH = fileURLToPath(new URL('../debug/fixtures/crunch.mjs', import.meta.url))

let tmp: ReturnType<typeof tempDir>
let service: ConsoleService
const pushes: ProfileView[] = []

beforeEach(() => {
  tmp = tempDir('swarmage-profiles-')
  service = new ConsoleService({ dataDir: join(tmp.dir, 'data'), mode: 'browser', seedExamples: false })
  pushes.length = 0
  service.subscribe((m: PushMessage) => {
    if (m.channel === 'profiles') pushes.push(m.profile)
  })
})
afterEach(async () => {
  await service.stop()
  tmp.cleanup()
})

async function readAll(s: ConsoleService, id: string): Promise<Buffer> {
  const parts: Buffer[] = []
  let offset: number | null = 0
  while (offset !== null) {
    const chunk: ProfileChunk = await s.call('profiles.read', { id, offset })
    parts.push(Buffer.from(chunk.data, 'base64'))
    offset = chunk.next
  }
  return Buffer.concat(parts)
}

async function crunchDrone(processes = 1) {
  const def = await service.call('workers.save', { type: 'crunch', module: CRUNCH, processes, watch: false })
  return service.call('drones.start', { connectionId: EMBEDDED_ID, workerIds: [def.id] })
}

describe('profiles in the console service', () => {
  it('profiles the next 20 tasks, stores the .cpuprofile 0600, links the tasks to it, and keeps it across a restart', async () => {
    const drone = await crunchDrone()
    const [started] = await service.call('profiles.start', { droneId: drone.id, type: 'crunch', tasks: 20 })
    expect(started).toMatchObject({ kind: 'cpu', state: 'running', type: 'crunch', workerId: 'crunch#1', requested: 20, covered: 0 })
    const { ids } = await service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks: Array.from({ length: 20 }, () => ({ type: 'crunch', payload: { ms: 3 } })) })
    await until(() => pushes.some((p) => p.id === started!.id && p.state === 'ready'), 60_000, 'the profile to be ready')
    // Progress was pushed as the tasks finished.
    expect(pushes.filter((p) => p.id === started!.id && p.state === 'running').map((p) => p.covered)).toContain(10)

    const view = await service.call('profiles.get', { id: started!.id })
    expect(view.taskIds.sort()).toEqual([...ids].sort())
    expect(view.covered).toBe(20)
    expect(view.samples).toBeGreaterThan(0)
    expect(view.fileName).toMatch(/^crunch-crunch_1-.*\.cpuprofile$/)
    const bytes = await readAll(service, view.id)
    expect(bytes.length).toBe(view.bytes)
    const profile = JSON.parse(bytes.toString('utf8')) as { nodes: Array<{ callFrame: { functionName: string } }> }
    expect(profile.nodes.map((n) => n.callFrame.functionName)).toContain('crunchPrimesForProfile')

    const linked = await service.call('profiles.forTask', { taskId: ids[7]! })
    expect(linked.map((p) => p.id)).toEqual([view.id])
    expect(await service.call('profiles.forTask', { taskId: '00000000-0000-7000-8000-000000000000' })).toEqual([])

    const dir = join(tmp.dir, 'data', 'profiles')
    const files = readdirSync(dir).sort()
    expect(files).toEqual([`${view.id}.cpuprofile`, `${view.id}.json`])
    if (process.platform !== 'win32') for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600)
    const activity = await service.call('activity.list', {})
    expect(activity.find((a) => a.action === 'profiles.start')?.target).toContain('tasks=20')

    await service.stop()
    service = new ConsoleService({ dataDir: join(tmp.dir, 'data'), mode: 'browser', seedExamples: false })
    expect((await service.call('profiles.list', {})).map((p) => p.id)).toEqual([view.id])
    expect((await readAll(service, view.id)).equals(bytes)).toBe(true)
    expect(await service.call('profiles.remove', { id: view.id })).toEqual({ removed: true })
    expect(readdirSync(dir)).toEqual([])
  }, 90_000)

  it('takes a heap snapshot that downloads as JSON with snapshot and nodes; refuses unknown drones and types', async () => {
    const drone = await crunchDrone()
    const started = await service.call('profiles.heapSnapshot', { droneId: drone.id, type: 'crunch' })
    expect(started).toMatchObject({ kind: 'heap', state: 'running', workerId: 'crunch#1' })
    await until(() => pushes.some((p) => p.id === started.id && p.state !== 'running'), 60_000, 'the snapshot to end')
    const view = await service.call('profiles.get', { id: started.id })
    expect(view.state).toBe('ready')
    expect(view.fileName).toMatch(/\.heapsnapshot$/)
    const text = (await readAll(service, view.id)).toString('utf8')
    expect(text.length).toBe(view.bytes)
    const snapshot = JSON.parse(text) as Record<string, unknown>
    expect(snapshot).toHaveProperty('snapshot')
    expect(snapshot).toHaveProperty('nodes')

    await expect(service.call('profiles.heapSnapshot', { droneId: 'nope', type: 'crunch' })).rejects.toMatchObject({ code: 'not-found' })
    await expect(service.call('profiles.start', { droneId: drone.id, type: 'other', tasks: 5 })).rejects.toMatchObject({ code: 'input' })
    await expect(service.call('profiles.start', { droneId: drone.id, type: 'crunch', tasks: 0 })).rejects.toMatchObject({ code: 'input' })
    await expect(service.call('profiles.read', { id: 'nope' })).rejects.toMatchObject({ code: 'not-found' })
  }, 90_000)

  it('stops a running profile on request, with the tasks covered so far', async () => {
    const drone = await crunchDrone(2)
    const views = await service.call('profiles.start', { droneId: drone.id, type: 'crunch', tasks: 500 })
    expect(views.map((v) => v.workerId).sort()).toEqual(['crunch#1', 'crunch#2'])
    expect(new Set(views.map((v) => v.runId)).size).toBe(1)
    await service.call('tasks.enqueueMany', { connectionId: EMBEDDED_ID, tasks: Array.from({ length: 6 }, () => ({ type: 'crunch', payload: { ms: 1 } })) })
    await until(async () => (await service.call('queue.stats', { connectionId: EMBEDDED_ID })).types.crunch?.succeeded === 6, 60_000, 'the tasks to succeed')
    expect(await service.call('profiles.stop', { runId: views[0]!.runId })).toEqual({ stopped: true })
    await until(() => views.every((v) => pushes.some((p) => p.id === v.id && p.state === 'ready')), 60_000, 'both parts to be ready')
    const done = await Promise.all(views.map((v) => service.call('profiles.get', { id: v.id })))
    expect(done.reduce((n, v) => n + v.taskIds.length, 0)).toBe(6)
    expect(await service.call('profiles.stop', { runId: views[0]!.runId })).toEqual({ stopped: false })
  }, 90_000)
})
