import { describe, expect, it } from 'vitest'
import inspector from 'node:inspector'
import { parseCpuProfile, toFlameHierarchy, topFunctions, type CpuProfile, type FlameNode } from '../../src/renderer/src/views/profiles/hierarchy.ts'

// The flame graph's data from a real V8 profile of this process (node:inspector, as the worker host takes it).
function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))))
}

function spinInNamedFrameForFlameTest(ms: number): number {
  const until = Date.now() + ms
  let x = 0
  while (Date.now() < until) x += Math.sqrt(x + 1)
  return x
}

async function realProfile(): Promise<CpuProfile> {
  const session = new inspector.Session()
  session.connect()
  await post(session, 'Profiler.enable')
  await post(session, 'Profiler.setSamplingInterval', { interval: 100 })
  await post(session, 'Profiler.start')
  spinInNamedFrameForFlameTest(60)
  await new Promise((r) => setTimeout(r, 30)) // some idle samples too
  const { profile } = await post<{ profile: CpuProfile }>(session, 'Profiler.stop')
  session.disconnect()
  return parseCpuProfile(JSON.stringify(profile))
}

function find(n: FlameNode, name: string): FlameNode | undefined {
  if (n.name === name) return n
  for (const c of n.children) {
    const f = find(c, name)
    if (f) return f
  }
  return undefined
}

function sumOk(n: FlameNode): boolean {
  return n.children.reduce((s, c) => s + c.value, 0) <= n.value && n.children.every(sumOk)
}

describe('cpuprofile → flame graph hierarchy', () => {
  it('has every non-idle sample once, values that include their children, and the function by name and line', async () => {
    const profile = await realProfile()
    const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id))
    const samples = profile.samples!
    const root = toFlameHierarchy(profile)
    expect(root.value).toBe(samples.filter((s) => !idleIds.has(s)).length)
    expect(sumOk(root)).toBe(true)
    const spin = find(root, 'spinInNamedFrameForFlameTest')!
    expect(spin).toBeDefined()
    expect(spin.value).toBeGreaterThan(root.value / 4)
    expect(spin.location).toMatch(/^flame-hierarchy\.test\.ts:\d+$/)
    expect(find(root, '(idle)')).toBeUndefined()

    const withIdle = toFlameHierarchy(profile, { idle: true })
    expect(withIdle.value).toBe(samples.length)
    if (idleIds.size > 0) expect(find(withIdle, '(idle)')).toBeDefined()

    expect(topFunctions(root, 50).map((f) => f.name)).toContain('spinInNamedFrameForFlameTest')
  })

  it('refuses text that is not a .cpuprofile', () => {
    expect(() => parseCpuProfile('{"snapshot": {}}')).toThrow(/not a \.cpuprofile/)
    expect(() => parseCpuProfile('nope')).toThrow()
  })
})
