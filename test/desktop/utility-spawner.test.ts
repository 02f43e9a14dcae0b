// UtilityProcessSpawner maps Electron's utilityProcess (fork options, spawn/message/exit events) onto
// the WorkerProcessHandle the drone uses. utilityProcess.fork is injected: here a recorder, since the
// real one needs Electron's binary (the e2e test covers that where it exists).
import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { ToWorker } from '../../src/workers/protocol.ts'
import { UtilityProcessSpawner } from '../../src/main/utility-spawner.ts'

class FakeUtility extends EventEmitter {
  pid: number | undefined = undefined
  posted: unknown[] = []
  killed = 0
  postMessage(m: unknown) {
    this.posted.push(m)
  }
  kill() {
    this.killed++
    return true
  }
}

function spawner(env?: Record<string, string>) {
  const forks: Array<{ path: string; args: string[] | undefined; options: any; child: FakeUtility }> = []
  const s = new UtilityProcessSpawner({
    hostPath: '/app/out/main/worker-host.js',
    env,
    fork: (path, args, options) => {
      const child = new FakeUtility()
      forks.push({ path, args, options, child })
      return child as never
    },
  })
  return { s, forks }
}

const init: ToWorker = { t: 'init', type: 'io', modulePath: '/w/io.mjs', config: null, concurrency: 2 }

describe('UtilityProcessSpawner', () => {
  it("forks the built host with the worker's name, a service name, env and no inspector by default", () => {
    const { s, forks } = spawner({ FROM_SPAWNER: '1' })
    expect(s.kind).toBe('utility')
    s.spawn({ name: 'io#1', env: { FROM_SPAWN: '2' } })
    const [f] = forks
    expect(f!.path).toBe('/app/out/main/worker-host.js')
    expect(f!.args).toEqual(['io#1'])
    expect(f!.options.serviceName).toBe('swarmage worker io#1')
    expect(f!.options.execArgv).toEqual([])
    expect(f!.options.env.FROM_SPAWNER).toBe('1')
    expect(f!.options.env.FROM_SPAWN).toBe('2')
    expect(f!.options.env.PATH).toBe(process.env.PATH)
    expect(f!.options.stdio).toEqual(['ignore', 'inherit', 'inherit'])
  })

  it('passes --inspect on loopback when asked (port 0: any free port)', () => {
    const { s, forks } = spawner()
    s.spawn({ name: 'cpu#1', inspectPort: 0 })
    s.spawn({ name: 'cpu#2', inspectPort: 9333 })
    expect(forks[0]!.options.execArgv).toEqual(['--inspect=127.0.0.1:0'])
    expect(forks[1]!.options.execArgv).toEqual(['--inspect=127.0.0.1:9333'])
  })

  it("holds messages until 'spawn', then delivers them in order; relays messages; exits once", () => {
    const { s, forks } = spawner()
    const handle = s.spawn({ name: 'io#1' })
    const child = forks[0]!.child
    handle.send(init)
    handle.send({ t: 'run', tasks: [] })
    expect(child.posted).toEqual([])
    expect(handle.pid).toBeUndefined()
    child.pid = 4242
    child.emit('spawn')
    expect(child.posted.map((m) => (m as ToWorker).t)).toEqual(['init', 'run'])
    expect(handle.pid).toBe(4242)

    const received: unknown[] = []
    handle.onMessage((m) => received.push(m))
    child.emit('message', { t: 'ready', pid: 4242 })
    expect(received).toEqual([{ t: 'ready', pid: 4242 }])

    const exits: Array<[number | null, string | null]> = []
    handle.onExit((code, signal) => exits.push([code, signal]))
    child.emit('error', 'FatalError', 'somewhere', 'report')
    child.emit('exit', 134)
    child.emit('exit', 134)
    expect(exits).toEqual([[134, null]])
    handle.send({ t: 'shutdown', graceMs: 10 })
    expect(child.posted).toHaveLength(2)
  })

  it('kill() before spawn falls back to UtilityProcess#kill', () => {
    const { s, forks } = spawner()
    const handle = s.spawn({ name: 'io#1' })
    handle.kill()
    expect(forks[0]!.child.killed).toBe(1)
  })

  it('kill() after spawn SIGKILLs the process by pid (a worker ignoring SIGTERM still dies)', async () => {
    const { s, forks } = spawner()
    const handle = s.spawn({ name: 'stuck#1' })
    // A real process that ignores SIGTERM, standing in for a stuck worker.
    const real = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' })
    const died = new Promise<NodeJS.Signals | null>((resolve) => real.on('exit', (_code, signal) => resolve(signal)))
    forks[0]!.child.pid = real.pid
    forks[0]!.child.emit('spawn')
    handle.kill()
    expect(await died).toBe('SIGKILL')
    expect(forks[0]!.child.killed).toBe(0)
  })
})
