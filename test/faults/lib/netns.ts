/**
 * Several hosts on one machine (scenario net1, issue 11): each test host is a network namespace joined
 * to the root namespace by a veth pair, addressed from 198.18.0.0/15 (set aside for network tests, RFC
 * 2544), with no route but its own /24 link: nothing it sends can leave the machine. PostgreSQL listens
 * on loopback, so each host reaches it through a forwarder (lib/proxy.ts) in the root namespace bound
 * to the root side of its veth, and that address is all a host can reach.
 *
 * The link is slowed with `tc … netem delay 20ms 5ms loss 1%` on the namespace side where the kernel
 * has netem; where it has not (this machine's kernel has no netem, tbf, gact or matchall), the
 * forwarder emulates the same delay and loss (LinkEmulation). A cut is real either way: the root side
 * of the veth is set down, so the host's packets are dropped at the kernel and nothing is closed: a
 * black hole, as a dead switch port looks to both ends.
 *
 * Needs root and iproute2; installs nothing. Every name starts with PREFIX, so leftovers of a run that
 * crashed before its teardown are found and removed at the start of the next.
 */
import { execFileSync } from 'node:child_process'
import { TcpProxy, type LinkEmulation } from './proxy.ts'

export const PREFIX = 'swr-'

/** The link the issue asks for: 20 ms ± 5 ms of delay and 1% loss, on the test host's egress. */
export const LINK = { delayMs: 20, jitterMs: 5, loss: 0.01 }
const RETRANSMIT_MS = 200

export interface RigHost {
  /** host name, also the drone's: h1, h2, … */
  name: string
  ns: string
  /** root-namespace side of the veth (the side a cut sets down) */
  rootIf: string
  nsIf: string
  rootAddr: string
  nsAddr: string
  forwarder: TcpProxy
  /** the command a process runs under to live in this host */
  launcher: string[]
  cut: boolean
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { cause: err })
  }
}

/** Why the rig cannot be built here (one line), or null. Checked before anything is touched. */
export function rigUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the three-host rig needs root (ip netns, veth, tc)'
  for (const [cmd, flag] of [['ip', '-V'], ['tc', '-V']] as const) {
    try {
      execFileSync(cmd, [flag], { stdio: 'ignore' })
    } catch {
      return `the three-host rig needs iproute2's ${cmd} (apt-get install iproute2); it installs nothing itself`
    }
  }
  return null
}

/** Removes namespaces and links named PREFIX* (a previous run that died before its teardown); returns their names. */
export function removeLeftovers(): string[] {
  const gone: string[] = []
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const ns = line.split(' ')[0]
    if (ns?.startsWith(PREFIX)) {
      run('ip', ['netns', 'delete', ns])
      gone.push(ns)
    }
  }
  // A veth whose namespace is gone goes with it; a root-side link left by a half-built rig does not.
  for (const line of run('ip', ['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1]
    if (name?.startsWith(PREFIX)) {
      run('ip', ['link', 'delete', name])
      gone.push(name)
    }
  }
  return gone
}

function mac(ifname: string, ns?: string): string {
  const out = run('ip', [...(ns ? ['-n', ns] : []), '-o', 'link', 'show', ifname])
  const m = /link\/ether ([0-9a-f:]{17})/.exec(out)
  if (!m) throw new Error(`no MAC address on ${ifname}: ${out.trim()}`)
  return m[1]!
}

/**
 * Permanent neighbour entries at both ends, so no ARP runs on the rig: during a cut the host's packets
 * are dropped silently (with ARP they would fail fast with EHOSTUNREACH once resolution timed out, and
 * a FAILED entry would keep failing for a while after the heal).
 */
function pinNeighbours(h: Pick<RigHost, 'ns' | 'rootIf' | 'nsIf' | 'rootAddr' | 'nsAddr'>): void {
  run('ip', ['neigh', 'replace', h.nsAddr, 'lladdr', mac(h.nsIf, h.ns), 'dev', h.rootIf, 'nud', 'permanent'])
  run('ip', ['-n', h.ns, 'neigh', 'replace', h.rootAddr, 'lladdr', mac(h.rootIf), 'dev', h.nsIf, 'nud', 'permanent'])
}

export class NetRig {
  readonly hosts: RigHost[] = []
  /** true: the kernel's netem slows each link; false: the forwarders emulate it */
  netem = false

  private constructor() {}

  /**
   * Builds `count` hosts h1…hN: namespace, veth pair, addresses 198.18.i.1 (root) / 198.18.i.2 (host),
   * the link's delay and loss, and a forwarder to PostgreSQL on 127.0.0.1:pgPort. On any failure the
   * part built so far is torn down before the error is thrown.
   */
  static async build(count: number, pgPort: number): Promise<NetRig> {
    const rig = new NetRig()
    try {
      removeLeftovers()
      for (let i = 1; i <= count; i++) await rig.addHost(i, pgPort)
    } catch (err) {
      await rig.destroy()
      throw err
    }
    return rig
  }

  host(name: string): RigHost {
    const h = this.hosts.find((x) => x.name === name)
    if (!h) throw new Error(`no rig host ${name}`)
    return h
  }

  /** Black-holes a host: the root side of its veth goes down; its packets are dropped, nothing is closed. */
  cut(name: string): void {
    const h = this.host(name)
    run('ip', ['link', 'set', h.rootIf, 'down'])
    h.cut = true
  }

  heal(name: string): void {
    const h = this.host(name)
    run('ip', ['link', 'set', h.rootIf, 'up'])
    // Setting a link down flushes its neighbours, permanent ones included: put them back.
    pinNeighbours(h)
    h.cut = false
  }

  /** Stops the forwarders and deletes every namespace and link (idempotent; never throws, returns what failed). */
  async destroy(): Promise<string[]> {
    const failed: string[] = []
    for (const h of this.hosts) await h.forwarder.stop().catch((e: unknown) => failed.push(String(e)))
    try {
      removeLeftovers()
    } catch (err) {
      failed.push((err as Error).message)
    }
    this.hosts.length = 0
    return failed
  }

  private async addHost(i: number, pgPort: number): Promise<void> {
    const name = `h${i}`
    const ns = `${PREFIX}${name}`
    const rootIf = `${PREFIX}${name}r`
    const nsIf = `${PREFIX}${name}n`
    const rootAddr = `198.18.${i}.1`
    const nsAddr = `198.18.${i}.2`
    run('ip', ['netns', 'add', ns])
    run('ip', ['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns])
    run('ip', ['addr', 'add', `${rootAddr}/24`, 'dev', rootIf])
    run('ip', ['link', 'set', rootIf, 'up'])
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    run('ip', ['-n', ns, 'addr', 'add', `${nsAddr}/24`, 'dev', nsIf])
    run('ip', ['-n', ns, 'link', 'set', nsIf, 'up'])
    // No default route is added: the host reaches its /24 (the forwarder) and its own loopback only.
    const netem = this.tryNetem(ns, nsIf)
    if (i === 1) this.netem = netem
    const link: LinkEmulation | undefined = netem ? undefined : { ...LINK, retransmitMs: RETRANSMIT_MS }
    const forwarder = new TcpProxy({ host: '127.0.0.1', port: pgPort }, { listenHost: rootAddr, ...(link ? { link } : {}) })
    const host: RigHost = { name, ns, rootIf, nsIf, rootAddr, nsAddr, forwarder, launcher: ['ip', 'netns', 'exec', ns], cut: false }
    this.hosts.push(host)
    pinNeighbours(host)
    await forwarder.start()
  }

  /** netem on the host's side of the veth; false when the kernel has no netem (the forwarder emulates it then). */
  private tryNetem(ns: string, nsIf: string): boolean {
    const args = ['-n', ns, 'qdisc', 'add', 'dev', nsIf, 'root', 'netem', 'delay', `${LINK.delayMs}ms`, `${LINK.jitterMs}ms`, 'loss', `${LINK.loss * 100}%`]
    try {
      run('tc', args)
      return true
    } catch (err) {
      if (/unknown|not found|No such file/i.test((err as Error).message)) return false
      throw err
    }
  }
}
