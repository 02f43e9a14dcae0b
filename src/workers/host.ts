/**
 * The script every worker process runs (forked Node with the tsx loader, or an Electron utility
 * process). It picks its channel to the drone, then hands every message to HostRuntime.
 * argv[2] is the process's display name ("resize#1"), shown in `ps` as "swarmage worker resize#1".
 *
 * A worker process must never outlive its drone: a forked one exits when the IPC channel closes
 * ('disconnect'), and both kinds poll `process.ppid` (a utility process has no 'disconnect'; a
 * SIGKILLed parent re-parents us to init), every second, unref'd so it never keeps us alive.
 */
import { HostRuntime, type HostTransport } from './host-runtime.ts'
import type { FromWorker, ToWorker } from './protocol.ts'

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

const name = process.argv[2]
if (name) {
  try {
    process.title = `swarmage worker ${name}`
  } catch {
    // Some platforms refuse a new title; it is cosmetic.
  }
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
// The drone's pid: a SIGKILLed parent re-parents us (to init or a subreaper) at once, before the
// channel's end is read, so a changed ppid is the first sign that the drone is gone.
const parentPid = process.ppid
const orphaned = (): boolean => process.ppid !== parentPid

function connect(): { transport: HostTransport; listen(handler: (m: ToWorker) => void): void } | undefined {
  if (parentPort) {
    return {
      transport: {
        send: (m: FromWorker) => parentPort.postMessage(m),
        // postMessage has no delivery callback; a moment lets the message leave before exit.
        sendLastAndExit: (m: FromWorker) => {
          parentPort.postMessage(m)
          setTimeout(() => process.exit(0), 50)
        },
        orphaned,
      },
      listen: (handler) => parentPort.on('message', (e) => handler(e.data as ToWorker)),
    }
  }
  const send = process.send?.bind(process)
  if (!send) return undefined
  return {
    transport: {
      send: (m: FromWorker) => {
        // After the drone is gone, sending throws; the disconnect handler below ends the process.
        if (process.connected) send(m)
      },
      sendLastAndExit: (m: FromWorker) => {
        if (!process.connected) process.exit(0)
        send(m, undefined, {}, () => process.exit(0))
      },
      orphaned,
    },
    listen: (handler) => process.on('message', (m) => handler(m as ToWorker)),
  }
}

const channel = connect()
if (!channel) {
  process.stderr.write('swarmage worker host: no parent channel (run it through a drone, not directly)\n')
  process.exit(2)
}

const runtime = new HostRuntime(channel.transport)
runtime.output.install()
process.on('unhandledRejection', (reason) => runtime.onUnhandledRejection(reason))
process.on('disconnect', () => process.exit(0))
// Ctrl-C in a terminal reaches the whole process group: the drone drains and tells us to shut down,
// so a worker must not die on the same SIGINT (its running task would be handed back, not finished).
process.on('SIGINT', () => undefined)
setInterval(() => {
  if (orphaned()) process.exit(0)
}, 1_000).unref()
channel.listen((message) => runtime.handle(message))
